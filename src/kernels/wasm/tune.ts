// `tsllama tune`: times the GEMM token block on this machine and picks the fastest, then (on more
// than one thread) the rows per job of a prefill matmul, as chunks per thread.
// The token block is how many tokens' activations stay cache-resident while a thread's weight
// panels stream past; too small re-reads weights, too large spills the activations out of L2.
// Chunks per thread: more let threads even out a slower core, each costs one more kernel call.
import { performance } from 'node:perf_hooks';
import type { WeightFormat } from '../types.js';
import type { WasmContext } from './context.js';
import { ACT_BLOCK_BYTES, getMatmulTuning, matmulWasm, packedSizeWasm, packWasm, setMatmulTuning, type MatmulTuning } from './matmul.js';

export interface TuneOptions {
  /** Candidate token blocks (multiples of 4). */
  tokenBlocks?: number[];
  /** Prefill batch to time with. */
  tokens?: number;
  /** [N, K] of the timed weight (default: an FFN up-projection of a small model). */
  shape?: [number, number];
  format?: WeightFormat;
  /** Timed repetitions per candidate (the median counts). */
  reps?: number;
  /** Called with each candidate's median milliseconds. */
  onResult?: (tokenBlock: number, ms: number) => void;
  /** Candidate chunks per thread of a prefill matmul (timed only when the pool has several threads). */
  prefillChunks?: number[];
  /** Called with each chunk candidate's median milliseconds. */
  onChunksResult?: (prefillChunks: number, ms: number) => void;
}

/**
 * Measures each candidate token block, then (on several threads) each candidate chunks per thread at
 * that block; applies the fastest of each with setMatmulTuning and returns the tuning.
 */
export function tuneMatmul(ctx: WasmContext, opts: TuneOptions = {}): MatmulTuning {
  const candidates = opts.tokenBlocks ?? [4, 8, 16, 32, 64, 128];
  const T = opts.tokens ?? 256;
  const [N, K] = opts.shape ?? [1536, 576];
  const format = opts.format ?? 'q8';
  const reps = opts.reps ?? 5;
  const before = getMatmulTuning();

  // The scratch first, so it sits below the mark and survives the release.
  ctx.scratch('act', T * K * Math.max(4, ACT_BLOCK_BYTES / 32));
  const mark = ctx.arena.mark();
  try {
    const src = ctx.arena.alloc(N * K * 4);
    const x = ctx.arena.alloc(T * K * 4);
    const y = ctx.arena.alloc(T * N * 4);
    const f32 = ctx.views.f32;
    let s = 12345;
    const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    for (let i = 0; i < N * K; i++) f32[(src >> 2) + i] = rand();
    for (let i = 0; i < T * K; i++) f32[(x >> 2) + i] = rand();
    const w = packWasm(ctx, format, 'f32', src, N, K, ctx.arena.alloc(packedSizeWasm(format, N, K)));

    const timeOnce = (): number => {
      matmulWasm(ctx, w, x, y, T); // warm-up
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        matmulWasm(ctx, w, x, y, T);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return times[times.length >> 1];
    };
    const fastest = (knob: keyof MatmulTuning, candidates: number[], report?: (value: number, ms: number) => void): void => {
      const set = (value: number): void => setMatmulTuning(knob === 'tokenBlock' ? { tokenBlock: value } : { prefillChunks: value });
      let best = getMatmulTuning()[knob];
      let bestMs = Infinity;
      for (const value of candidates) {
        set(value);
        const ms = timeOnce();
        report?.(value, ms);
        if (ms < bestMs) {
          bestMs = ms;
          best = value;
        }
      }
      set(best);
    };
    fastest('tokenBlock', candidates, opts.onResult);
    if (ctx.pool.threads > 1) fastest('prefillChunks', opts.prefillChunks ?? [1, 2, 4, 8], opts.onChunksResult);
    return getMatmulTuning();
  } catch (e) {
    setMatmulTuning(before);
    throw e;
  } finally {
    ctx.arena.release(mark);
  }
}
