// Seeded random-weight models of real shapes, written as GGUF files llama.cpp can load.
// Tensors are generated and written in chunks of rows, so even SmolLM2-135M never sits in memory whole.
import { quantize } from '../gguf/quantize.js';
import { GGMLType, GGUFError } from '../gguf/types.js';
import { kv, writeGGUF, type GGUFLazyTensor, type GGUFWriteKV } from '../gguf/writer.js';
import { ARCH_LAYOUTS, type TensorSpec } from './arch-layouts.js';
import { PRESETS, presetNames, type SynthPreset } from './presets.js';
import { SeededRng, streamSeed } from './rng.js';
import { buildBpeVocab } from './vocab.js';

export type SynthType = 'f32' | 'f16' | 'q8_0' | 'q4_0';
export const SYNTH_TYPES: SynthType[] = ['f32', 'f16', 'q8_0', 'q4_0'];

export interface SynthOptions {
  preset: string;
  seed?: number;
  type?: SynthType;
  outPath: string;
  /** Called as weights are generated: values done so far, and the total. */
  onProgress?: (done: number, total: number) => void;
}

const TYPES: Record<SynthType, { ggml: GGMLType; fileType: number }> = {
  f32: { ggml: GGMLType.F32, fileType: 0 }, // LLAMA_FTYPE_ALL_F32
  f16: { ggml: GGMLType.F16, fileType: 1 }, // LLAMA_FTYPE_MOSTLY_F16
  q4_0: { ggml: GGMLType.Q4_0, fileType: 2 }, // LLAMA_FTYPE_MOSTLY_Q4_0
  q8_0: { ggml: GGMLType.Q8_0, fileType: 7 }, // LLAMA_FTYPE_MOSTLY_Q8_0
};

/** Standard deviations keep activations finite and logits spread (≈ N(0, 1.2) with tied embeddings at dim 576). */
const STD = { embedding: 0.05, weight: 0.02, norm: 0.1 } as const;
const CHUNK_ELEMENTS = 1 << 20;

export function getPreset(name: string): SynthPreset {
  const p = PRESETS[name];
  if (!p) throw new GGUFError(`unknown preset "${name}" (available: ${presetNames().join(', ')})`);
  return p;
}

/**
 * Storage type of one tensor: norms stay F32; matrices take the requested type, except that rows
 * not a multiple of the 32-wide quant block fall back to F16, as llama.cpp's quantize tool does.
 */
function tensorType(spec: TensorSpec, type: GGMLType): GGMLType {
  if (spec.role === 'norm' || spec.dims.length === 1) return GGMLType.F32;
  if ((type === GGMLType.Q8_0 || type === GGMLType.Q4_0) && spec.dims[0] % 32 !== 0) return GGMLType.F16;
  return type;
}

function metadata(name: string, p: SynthPreset, type: SynthType): GGUFWriteKV[] {
  const layout = ARCH_LAYOUTS[p.arch];
  if (!layout) throw new GGUFError(`preset ${name}: no synthetic layout for architecture "${p.arch}"`);
  const vocab = buildBpeVocab(p.vocabSize);
  const kvs = [
    kv.string('general.architecture', p.arch),
    kv.string('general.name', `tsllama synthetic model (seeded)`), // no preset name: llama.cpp keys Phi-3 vocab checks off "phi3" in the name
    kv.u32('general.file_type', TYPES[type].fileType),
    kv.u32('general.alignment', 32),
    ...layout.metadata(p),
    kv.string('tokenizer.ggml.model', 'gpt2'),
    kv.string('tokenizer.ggml.pre', p.tokenizerPre),
    kv.stringArray('tokenizer.ggml.tokens', vocab.tokens),
    kv.i32Array('tokenizer.ggml.token_type', vocab.tokenTypes),
    kv.stringArray('tokenizer.ggml.merges', vocab.merges),
    kv.u32('tokenizer.ggml.bos_token_id', vocab.bosId),
    kv.u32('tokenizer.ggml.eos_token_id', vocab.eosId),
    kv.u32('tokenizer.ggml.padding_token_id', vocab.eosId),
    kv.bool('tokenizer.ggml.add_bos_token', false),
  ];
  if (p.chatTemplate) kvs.push(kv.string('tokenizer.chat_template', p.chatTemplate));
  return kvs;
}

/** Random values of one tensor, in chunks of whole rows, encoded as `type`. */
function* tensorChunks(spec: TensorSpec, type: GGMLType, seed: number, progress: (n: number) => void): Generator<Uint8Array> {
  const rng = new SeededRng(streamSeed(seed, spec.name));
  const rowLen = spec.dims[0];
  const nRows = spec.dims.slice(1).reduce((a, b) => a * b, 1);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / rowLen));
  const mean = spec.role === 'norm' ? 1 : 0;
  for (let row = 0; row < nRows; row += rowsPerChunk) {
    const values = new Float32Array(Math.min(rowsPerChunk, nRows - row) * rowLen); // [rows, rowLen]
    rng.fillNormal(values, STD[spec.role], mean);
    yield quantize(type, values);
    progress(values.length);
  }
}

export interface SynthModel {
  kvs: GGUFWriteKV[];
  tensors: GGUFLazyTensor[];
  /** Number of weights over all tensors. */
  nParams: number;
}

/** The metadata and lazily generated tensors of a synthetic model, without writing anything. */
export function buildSynthModel(opts: Omit<SynthOptions, 'outPath'>): SynthModel {
  const p = getPreset(opts.preset);
  const type = opts.type ?? 'f32';
  if (!TYPES[type]) throw new GGUFError(`unknown synth type "${String(type)}" (available: ${SYNTH_TYPES.join(', ')})`);
  const seed = opts.seed ?? 1;
  const kvs = metadata(opts.preset, p, type); // throws for an architecture without a layout
  const specs = ARCH_LAYOUTS[p.arch].tensors(p);
  const nParams = specs.reduce((sum, s) => sum + s.dims.reduce((a, b) => a * b, 1), 0);
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    opts.onProgress?.(done, nParams);
  };
  const tensors = specs.map((spec): GGUFLazyTensor => {
    const t = tensorType(spec, TYPES[type].ggml);
    return { name: spec.name, dims: spec.dims, type: t, getData: () => tensorChunks(spec, t, seed, progress) };
  });
  return { kvs, tensors, nParams };
}

/** Write a synthetic model to `outPath`. */
export function synthesizeModel(opts: SynthOptions): void {
  const model = buildSynthModel(opts);
  writeGGUF(opts.outPath, model.kvs, model.tensors);
}
