// WASM matmul glue: y[T, N] = x[T, K] · Wᵀ through the kernels in kernels/matmul_*.ts.
// T = 1 is the GEMV (generation) path, T > 1 the token-blocked GEMM (prefill); the kernels pick
// per 4 tokens, so both share one entry. Rows (N) are split over the pool's threads in whole panels;
// activations are prepared once per call (q8/q4: Q8_0-quantized, f16: rounded to f16) before.
import type { PackedWeight, PackSource, WeightFormat } from '../types.js';
import type { WasmContext } from './context.js';
import { PANEL, QK } from './matmul-layout.js';
import { embedWasm, packedSizeWasm, packWasm } from './matmul-pack.js';

export { embedWasm, packedSizeWasm, packWasm };
export type { PackedWeight, PackSource, WeightFormat };

/** Bytes of one quantized activation block (kernels/matmul_act.ts ACT_BLOCK). */
export const ACT_BLOCK_BYTES = 112;

export interface MatmulTuning {
  /**
   * Tokens whose activations stay cache-resident while a thread's weight panels stream past them
   * (GEMM only). A multiple of 4: the register kernel takes 4 tokens per weight load.
   */
  tokenBlock: number;
  /**
   * Chunks per thread of a prefill matmul (batches of at least CHUNKED_MIN_TOKENS tokens): its rows
   * are cut into this many chunks per thread, which threads claim as they finish (WorkerPool.run),
   * so a thread that runs slower does less of the matmul. 1: one range per thread. Decode steps
   * always keep one range per thread: each chunk is one more kernel call, which a GEMV of a few µs
   * notices.
   */
  prefillChunks: number;
}

/** Chunks per thread of prefill matmuls and attention unless tuned (measured on 2 cores: +2-5% in the median run over 1). */
export const DEFAULT_PREFILL_CHUNKS = 4;
const DEFAULT_TUNING: MatmulTuning = { tokenBlock: 32, prefillChunks: DEFAULT_PREFILL_CHUNKS };
let tuning: MatmulTuning = { ...DEFAULT_TUNING };

export function getMatmulTuning(): MatmulTuning {
  return { ...tuning };
}

export function setMatmulTuning(t: Partial<MatmulTuning>): void {
  const next = { ...tuning, ...t };
  if (!Number.isInteger(next.tokenBlock) || next.tokenBlock < 4 || next.tokenBlock % 4 !== 0) {
    throw new Error(`matmul tuning: tokenBlock must be a positive multiple of 4, got ${next.tokenBlock}`);
  }
  if (!Number.isInteger(next.prefillChunks) || next.prefillChunks < 1) {
    throw new Error(`matmul tuning: prefillChunks must be a positive integer, got ${next.prefillChunks}`);
  }
  tuning = next;
}

export function resetMatmulTuning(): void {
  tuning = { ...DEFAULT_TUNING };
}

/**
 * Below this many multiply-adds a matmul runs on the calling thread alone: waking the workers
 * costs more than the work (tiny models, or a loaded machine where a fork-join waits on the scheduler).
 */
const INLINE_MACS = Number(process.env.TSLLAMA_INLINE_MACS ?? 96 * 1024);

/** Batches of at least this many tokens (prefill) split their rows in tuning.prefillChunks chunks per thread. */
const CHUNKED_MIN_TOKENS = 16;

/** Chunks per thread for a pooled op over a batch of T tokens: tuning.prefillChunks for prefill batches, else 1. */
export function prefillChunksFor(T: number): number {
  return T >= CHUNKED_MIN_TOKENS ? tuning.prefillChunks : 1;
}

function runRows(ctx: WasmContext, fn: string, args: number[], N: number, macs: number, T: number): void {
  if (macs < INLINE_MACS || ctx.pool.threads === 1) ctx.pool.exports[fn](...args, 0, N);
  else ctx.pool.run(fn, args, N, PANEL, prefillChunksFor(T));
}

export function matmulWasm(ctx: WasmContext, w: PackedWeight, xPtr: number, yPtr: number, nTokens: number): void {
  checkCall(nTokens, xPtr, yPtr);
  if (nTokens === 0) return;
  const T = nTokens;
  const K = w.cols;
  const N = w.rows;
  const { x } = activationsFor(ctx, w.format, xPtr, K, T);
  // f16 weights are f16 values in f32 panels
  const fn = w.format === 'q8' ? 'matmul_q8' : w.format === 'q4' ? 'matmul_q4' : 'matmul_f32';
  runRows(ctx, fn, [w.ptr, x, yPtr, K, N, T, tuning.tokenBlock], N, N * K * T, T);
}

/** i32 per matrix in matmul_many's table (kernels/matmul_many.ts). */
const MANY_INTS = 4;
/** matmul_many's format codes. */
const MANY_FORMAT: Record<WeightFormat, number> = { f32: 0, f16: 0, q8: 1, q4: 2 };

/**
 * y_i[T, N_i] = x[T, K] · W_iᵀ for weights of one format and K: the activations are prepared once
 * and all rows go out in one split over the threads (kernels/matmul_many.ts). Other mixes run as
 * separate matmuls.
 */
export function matmulManyWasm(ctx: WasmContext, ws: readonly PackedWeight[], xPtr: number, yPtrs: readonly number[], nTokens: number): void {
  if (ws.length !== yPtrs.length) throw new Error(`matmulMany: ${ws.length} weights but ${yPtrs.length} outputs`);
  const w0 = ws[0];
  if (!w0) return;
  if (ws.length === 1 || ws.some((w) => w.format !== w0.format || w.cols !== w0.cols)) {
    ws.forEach((w, i) => matmulWasm(ctx, w, xPtr, yPtrs[i]!, nTokens));
    return;
  }
  yPtrs.forEach((y) => checkCall(nTokens, xPtr, y));
  if (nTokens === 0) return;
  const T = nTokens;
  const K = w0.cols;
  const { x, extra: table } = activationsFor(ctx, w0.format, xPtr, K, T, ws.length * MANY_INTS * 4);
  const i32 = ctx.views.i32;
  let rows = 0;
  let macs = 0;
  ws.forEach((w, i) => {
    const e = (table >> 2) + i * MANY_INTS;
    i32[e] = w.ptr;
    i32[e + 1] = yPtrs[i]!;
    i32[e + 2] = w.rows;
    i32[e + 3] = rows;
    rows += Math.ceil(w.rows / PANEL) * PANEL;
    macs += w.rows * K * T;
  });
  runRows(ctx, 'matmul_many', [table, ws.length, x, K, T, tuning.tokenBlock, MANY_FORMAT[w0.format]], rows, macs, T);
}

function checkCall(nTokens: number, xPtr: number, yPtr: number): void {
  if (!Number.isInteger(nTokens) || nTokens < 0) throw new Error(`matmul: nTokens must be a non-negative integer, got ${nTokens}`);
  if (xPtr % 4 !== 0 || yPtr % 4 !== 0) throw new Error('matmul: x and y pointers must be 4-byte aligned');
}

/**
 * What a format's kernel reads for x [T, K]: x itself (f32), x rounded to f16 values [T, K] (f16),
 * or Q8_0-quantized blocks [T, K/32] (q8 / q4) in the 'act' scratch; `extra` points at extraBytes
 * more of it, after the activations.
 */
function activationsFor(ctx: WasmContext, format: WeightFormat, xPtr: number, K: number, T: number, extraBytes = 0): { x: number; extra: number } {
  const quantized = format === 'q8' || format === 'q4';
  const actBytes = quantized ? T * (K / QK) * ACT_BLOCK_BYTES : format === 'f16' ? T * K * 4 : 0;
  if (actBytes + extraBytes === 0) return { x: xPtr, extra: 0 };
  const extraAt = Math.ceil(actBytes / 64) * 64;
  const region = ctx.scratch('act', extraAt + extraBytes);
  if (quantized) prepareActivations(ctx, 'quantize_act_q8', xPtr, region, K, T);
  else if (format === 'f16') prepareActivations(ctx, 'round_f16_rows', xPtr, region, K, T);
  return { x: actBytes > 0 ? region : xPtr, extra: region + extraAt };
}

/** One token: serial on the calling thread (a fork-join costs more than the work); more: split over tokens. */
function prepareActivations(ctx: WasmContext, fn: string, src: number, dst: number, K: number, T: number): void {
  if (T === 1 || T * K < INLINE_MACS) ctx.pool.exports[fn](src, dst, K, 0, T);
  else ctx.pool.run(fn, [src, dst, K], T, 1);
}
