// Fused projections, split at load without copying: a fused weight's rows are contiguous in the
// file (each row a whole number of quant blocks), so q, k, v (or gate, up) are byte ranges of it.
// The fused entry in the file's tensor table is replaced by views named as the standard loader
// expects, so every family loads through the same code.
//
//   blk.N.attn_qkv.{weight,bias}  [dim, H*D + 2*Hkv*D]  → attn_q / attn_k / attn_v   (phi3; llama.cpp's
//                                                           create_tensor_qkv accepts it for any family)
//   blk.N.ffn_up.weight           [dim, 2*F] without ffn_gate → ffn_gate (rows 0..F) / ffn_up (F..2F)
//                                                           (phi3: ggml_swiglu's first half is the gate)
import type { GGUFFile, GGUFTensorInfo } from '../gguf/types.js';
import { GGUFError } from '../gguf/types.js';
import type { ModelConfig } from './config.js';

/** Rows [row0, row0 + nRows) of a tensor whose rows are dims[0] long, as a tensor of its own. */
export function rowView(file: GGUFFile, t: GGUFTensorInfo, name: string, row0: number, nRows: number): GGUFTensorInfo {
  const cols = t.dims[0];
  const totalRows = t.nElements / cols;
  if (row0 + nRows > totalRows) throw new GGUFError(`${file.path}: tensor ${t.name} has ${totalRows} rows, cannot take rows ${row0}..${row0 + nRows}`);
  const rowBytes = t.nBytes / totalRows;
  if (!Number.isInteger(rowBytes)) throw new GGUFError(`${file.path}: tensor ${t.name}: rows are not byte-aligned`);
  return {
    name, dims: [cols, nRows], type: t.type,
    offset: t.offset + row0 * rowBytes,
    fileOffset: t.fileOffset + row0 * rowBytes,
    nElements: nRows * cols,
    nBytes: nRows * rowBytes,
  };
}

/** Splits `t` by rows into consecutive parts of the given sizes (their sum must be the row count). */
function splitRows(file: GGUFFile, t: GGUFTensorInfo, parts: [string, number][]): GGUFTensorInfo[] {
  const cols = t.dims.length === 1 ? 1 : t.dims[0];
  const total = t.nElements / cols;
  const sum = parts.reduce((a, [, n]) => a + n, 0);
  if (sum !== total) {
    throw new GGUFError(`${file.path}: fused tensor ${t.name} has ${total} rows, expected ${parts.map(([n, r]) => `${r} (${n})`).join(' + ')} = ${sum}`);
  }
  const out: GGUFTensorInfo[] = [];
  let row = 0;
  for (const [name, n] of parts) {
    out.push(t.dims.length === 1 ? vectorView(t, name, row, n) : rowView(file, t, name, row, n));
    row += n;
  }
  return out;
}

function vectorView(t: GGUFTensorInfo, name: string, i0: number, n: number): GGUFTensorInfo {
  const el = t.nBytes / t.nElements; // biases are f32 or f16: whole bytes per element
  return { name, dims: [n], type: t.type, offset: t.offset + i0 * el, fileOffset: t.fileOffset + i0 * el, nElements: n, nBytes: n * el };
}

/**
 * Replaces fused tensors in `file.tensors` by views under the standard names. Idempotent (a second
 * call finds nothing fused); a file that has both the fused and the split names is refused.
 */
export function exposeFusedTensors(file: GGUFFile, cfg: ModelConfig): void {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const qRows = cfg.nHeads * cfg.headDim;
  const kRows = cfg.nKvHeads * cfg.headDim;
  // llama.cpp's build_qkv views V with the K head size too.
  const vRows = cfg.nKvHeads * cfg.headDim;
  const replaced = new Map<string, GGUFTensorInfo[]>();
  for (let i = 0; i < cfg.nLayers; i++) {
    const b = (s: string) => `blk.${i}.${s}`;
    for (const kind of ['weight', 'bias']) {
      const fused = byName.get(b(`attn_qkv.${kind}`));
      if (!fused) continue;
      const names = ['attn_q', 'attn_k', 'attn_v'].map((n) => b(`${n}.${kind}`));
      if (names.some((n) => byName.has(n))) throw new GGUFError(`${file.path}: layer ${i} has both ${fused.name} and separate q/k/v tensors`);
      replaced.set(fused.name, splitRows(file, fused, [[names[0], qRows], [names[1], kRows], [names[2], vRows]]));
    }
    const up = byName.get(b('ffn_up.weight'));
    if (up && !byName.has(b('ffn_gate.weight')) && up.nElements === 2 * cfg.ffnDim * up.dims[0]) {
      replaced.set(up.name, splitRows(file, up, [[b('ffn_gate.weight'), cfg.ffnDim], [b('ffn_up.weight'), cfg.ffnDim]]));
    }
  }
  if (replaced.size === 0) return;
  file.tensors = file.tensors.flatMap((t) => replaced.get(t.name) ?? [t]);
}
