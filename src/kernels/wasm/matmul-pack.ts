// Packing weights into the WASM panel layout (matmul-layout.ts) and reading rows back (embed).
// Load-time work, done in TypeScript over the shared memory views.
import { f16Table, f32ToF16 } from '../../gguf/f16.js';
import { quantizeBlockQ4Ref, quantizeBlockQ8Ref } from '../scalar/quant.js';
import type { PackedWeight, PackSource, WeightFormat } from '../types.js';
import type { WasmContext } from './context.js';
import {
  PANEL, Q4_PANEL_BLOCK, Q8_PANEL_BLOCK, QK, f32Index, panelBytes, panelOffset, q4GroupOffset, q8ByteOffset,
} from './matmul-layout.js';

const Q8_0_BYTES = 34;
const Q4_0_BYTES = 18;

const PAIRS: ReadonlySet<string> = new Set([
  'f32->f32', 'f16->f32', 'f32->f16', 'f16->f16', 'f32->q8', 'q8_0->q8', 'f32->q4', 'q4_0->q4',
]);

export function packedSizeWasm(format: WeightFormat, rows: number, cols: number): number {
  checkShape(format, rows, cols);
  return Math.ceil(rows / PANEL) * panelBytes(format, cols);
}

function checkShape(format: WeightFormat, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new Error(`cannot pack a ${rows}×${cols} matrix: rows and cols must be positive integers`);
  }
  if ((format === 'q8' || format === 'q4') && cols % QK !== 0) {
    throw new Error(`cannot pack a ${rows}×${cols} matrix as ${format}: row length must be a multiple of 32`);
  }
}

function sourceBytes(source: PackSource, rows: number, cols: number): number {
  switch (source) {
    case 'f32': return rows * cols * 4;
    case 'f16': return rows * cols * 2;
    case 'q8_0': return rows * (cols / QK) * Q8_0_BYTES;
    case 'q4_0': return rows * (cols / QK) * Q4_0_BYTES;
  }
}

export function packWasm(
  ctx: WasmContext, format: WeightFormat, source: PackSource, srcPtr: number, rows: number, cols: number, dstPtr: number,
): PackedWeight {
  const pair = `${source}->${format}`;
  if (!PAIRS.has(pair)) throw new Error(`cannot pack ${source} weights as ${format}: unsupported pair ${pair}`);
  checkShape(format, rows, cols);
  if ((source === 'q8_0' || source === 'q4_0') && cols % QK !== 0) {
    throw new Error(`cannot pack a ${rows}×${cols} ${source} matrix: row length must be a multiple of 32`);
  }
  if (dstPtr % 16 !== 0) throw new Error(`pack: destination pointer ${dstPtr} is not 16-byte aligned`);
  const align = source === 'f32' ? 4 : source === 'f16' ? 2 : 1;
  if (srcPtr % align !== 0) throw new Error(`pack: ${source} source pointer ${srcPtr} is not ${align}-byte aligned`);

  const bytes = packedSizeWasm(format, rows, cols);
  const srcLen = sourceBytes(source, rows, cols);
  const memEnd = ctx.views.u8.length;
  if (srcPtr < 0 || srcPtr + srcLen > memEnd || dstPtr < 0 || dstPtr + bytes > memEnd) {
    throw new Error(`pack: source [${srcPtr}, +${srcLen}) or destination [${dstPtr}, +${bytes}) lies outside WASM memory`);
  }
  // A private copy of the source when it overlaps the destination (packing reorders bytes).
  const overlaps = srcPtr < dstPtr + bytes && dstPtr < srcPtr + srcLen;
  const src = overlaps ? ctx.views.u8.slice(srcPtr, srcPtr + srcLen) : ctx.views.u8.subarray(srcPtr, srcPtr + srcLen);
  ctx.views.u8.fill(0, dstPtr, dstPtr + bytes); // padding rows must be zero (scale 0, quants 0)

  switch (format) {
    case 'f32': packF32(ctx, source, src, rows, cols, dstPtr); break;
    case 'f16': packF32(ctx, source, src, rows, cols, dstPtr, true); break;
    case 'q8':
      if (source === 'q8_0') packQ8From0(ctx, src, rows, cols, dstPtr);
      else if (overlaps) packQ8FromF32(ctx, src, rows, cols, dstPtr);
      else ctx.pool.run('pack_q8_from_f32', [srcPtr, dstPtr, cols], rows, PANEL);
      break;
    case 'q4':
      if (source === 'q4_0') packQ4From0(ctx, src, rows, cols, dstPtr);
      else if (overlaps) packQ4FromF32(ctx, src, rows, cols, dstPtr);
      else ctx.pool.run('pack_q4_from_f32', [srcPtr, dstPtr, cols], rows, PANEL);
      break;
  }
  return { format, rows, cols, ptr: dstPtr, bytes };
}

/** f32 view of a byte range (copied when the bytes are not 4-aligned within their buffer). */
function asF32(src: Uint8Array): Float32Array {
  return src.byteOffset % 4 === 0
    ? new Float32Array(src.buffer, src.byteOffset, src.length / 4)
    : new Float32Array(src.slice().buffer);
}

function asU16(src: Uint8Array): Uint16Array {
  return src.byteOffset % 2 === 0
    ? new Uint16Array(src.buffer, src.byteOffset, src.length / 2)
    : new Uint16Array(src.slice().buffer);
}

// Loops below walk the source row by row and write through precomputed panel offsets; the
// views are fetched once per call (the getters re-check the buffer on every access).

/** f32 panels; with `toHalf` (the f16 format) every value rounded to f16 first. */
function packF32(ctx: WasmContext, source: PackSource, src: Uint8Array, rows: number, cols: number, dst: number, toHalf = false): void {
  const out = ctx.views.f32;
  const x = source === 'f32' ? asF32(src) : null;
  const h = source === 'f16' ? asU16(src) : null;
  const table = f16Table();
  for (let r = 0; r < rows; r++) {
    let o = f32Index(cols, r, 0) + (dst >> 2);
    const s = r * cols;
    if (x && toHalf) for (let k = 0; k < cols; k++, o += PANEL) out[o] = table[f32ToF16(x[s + k])];
    else if (x) for (let k = 0; k < cols; k++, o += PANEL) out[o] = x[s + k];
    else for (let k = 0; k < cols; k++, o += PANEL) out[o] = table[h![s + k]];
  }
}

/** Writes one row's 32 quants + scale into its q8 panel block. */
function putQ8Block(i8: Int8Array, f32: Float32Array, blockPtr: number, row: number, q: Int8Array, qOff: number, d: number): void {
  const rowBase = blockPtr + (row % PANEL) * 4;
  for (let j = 0; j < 8; j++) {
    const o = rowBase + j * 16;
    const e = qOff + j * 4;
    i8[o] = q[e];
    i8[o + 1] = q[e + 1];
    i8[o + 2] = q[e + 2];
    i8[o + 3] = q[e + 3];
  }
  f32[(blockPtr + 128 + (row % PANEL) * 4) >> 2] = d;
}

// f32 → q8 / q4 from an overlapping source: the same quantization in TypeScript (the WASM kernels
// pack_q{8,4}_from_f32 handle the usual, non-overlapping case).
function packQ8FromF32(ctx: WasmContext, src: Uint8Array, rows: number, cols: number, dst: number): void {
  const x = asF32(src);
  const { i8, f32 } = ctx.views;
  const nb = cols / QK;
  const q = new Int8Array(QK);
  for (let r = 0; r < rows; r++) {
    const panel = dst + panelOffset('q8', cols, r);
    for (let b = 0; b < nb; b++) {
      const d = quantizeBlockQ8Ref(x, r * cols + b * QK, q, 0);
      putQ8Block(i8, f32, panel + b * Q8_PANEL_BLOCK, r, q, 0, d);
    }
  }
}

function packQ8From0(ctx: WasmContext, src: Uint8Array, rows: number, cols: number, dst: number): void {
  const { i8, f32 } = ctx.views;
  const nb = cols / QK;
  const table = f16Table();
  const qs = new Int8Array(src.buffer, src.byteOffset, src.length);
  for (let r = 0; r < rows; r++) {
    const panel = dst + panelOffset('q8', cols, r);
    for (let b = 0; b < nb; b++) {
      const o = (r * nb + b) * Q8_0_BYTES;
      putQ8Block(i8, f32, panel + b * Q8_PANEL_BLOCK, r, qs, o + 2, table[src[o] | (src[o + 1] << 8)]);
    }
  }
}

function packQ4FromF32(ctx: WasmContext, src: Uint8Array, rows: number, cols: number, dst: number): void {
  const x = asF32(src);
  const { u8, f32 } = ctx.views;
  const nb = cols / QK;
  const nib = new Uint8Array(QK);
  for (let r = 0; r < rows; r++) {
    const panel = dst + panelOffset('q4', cols, r);
    for (let b = 0; b < nb; b++) {
      const d = quantizeBlockQ4Ref(x, r * cols + b * QK, nib, 0);
      const blk = panel + b * Q4_PANEL_BLOCK;
      for (let e = 0; e < 16; e++) u8[blk + q4GroupOffset(r, e >> 2) + (e & 3)] = nib[e] | (nib[e + 16] << 4);
      f32[(blk + 64 + (r % PANEL) * 4) >> 2] = d;
    }
  }
}

function packQ4From0(ctx: WasmContext, src: Uint8Array, rows: number, cols: number, dst: number): void {
  const { u8, f32 } = ctx.views;
  const nb = cols / QK;
  const table = f16Table();
  for (let r = 0; r < rows; r++) {
    const panel = dst + panelOffset('q4', cols, r);
    for (let b = 0; b < nb; b++) {
      const o = (r * nb + b) * Q4_0_BYTES;
      const blk = panel + b * Q4_PANEL_BLOCK;
      for (let j = 0; j < 4; j++) {
        const to = blk + q4GroupOffset(r, j);
        const from = o + 2 + 4 * j;
        u8[to] = src[from];
        u8[to + 1] = src[from + 1];
        u8[to + 2] = src[from + 2];
        u8[to + 3] = src[from + 3];
      }
      f32[(blk + 64 + (r % PANEL) * 4) >> 2] = table[src[o] | (src[o + 1] << 8)];
    }
  }
}

/** out[T, K] = rows ids[t] of w as f32 (exactly d·q for quantized formats). */
export function embedWasm(ctx: WasmContext, w: PackedWeight, idsPtr: number, nTokens: number, outPtr: number): void {
  if (!Number.isInteger(nTokens) || nTokens < 0) throw new Error(`embed: nTokens must be a non-negative integer, got ${nTokens}`);
  if (idsPtr % 4 !== 0 || outPtr % 4 !== 0) throw new Error('embed: ids and out pointers must be 4-byte aligned');
  const ids = ctx.views.i32.subarray(idsPtr >> 2, (idsPtr >> 2) + nTokens);
  for (let t = 0; t < nTokens; t++) {
    if (ids[t] < 0 || ids[t] >= w.rows) throw new Error(`embed: token id ${ids[t]} at position ${t} is out of range [0, ${w.rows})`);
  }
  const K = w.cols;
  const out = ctx.views.f32;
  for (let t = 0; t < nTokens; t++) {
    const r = ids[t];
    const o = (outPtr >> 2) + t * K;
    switch (w.format) {
      case 'f32':
      case 'f16': {
        const f32 = ctx.views.f32;
        const base = w.ptr >> 2;
        for (let k = 0; k < K; k++) out[o + k] = f32[base + f32Index(K, r, k)];
        break;
      }
      case 'q8': {
        const i8 = ctx.views.i8;
        const panel = w.ptr + panelOffset('q8', K, r);
        for (let b = 0; b < K / QK; b++) {
          const blk = panel + b * Q8_PANEL_BLOCK;
          const d = out[(blk + 128 + (r % PANEL) * 4) >> 2];
          for (let e = 0; e < QK; e++) out[o + b * QK + e] = i8[blk + q8ByteOffset(r, e)] * d;
        }
        break;
      }
      case 'q4': {
        const u8 = ctx.views.u8;
        const panel = w.ptr + panelOffset('q4', K, r);
        for (let b = 0; b < K / QK; b++) {
          const blk = panel + b * Q4_PANEL_BLOCK;
          const d = out[(blk + 64 + (r % PANEL) * 4) >> 2];
          for (let e = 0; e < 16; e++) {
            const byte = u8[blk + q4GroupOffset(r, e >> 2) + (e & 3)];
            out[o + b * QK + e] = ((byte & 15) - 8) * d;
            out[o + b * QK + e + 16] = ((byte >> 4) - 8) * d;
          }
        }
        break;
      }
    }
  }
}
