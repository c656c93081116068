// What the WASM kernel glue (matmul.ts, ops.ts, backend.ts) shares: the pool that runs
// exports over row ranges on every thread, memory views, and a reusable scratch region.
import type { Arena, MemoryViews } from '../../runtime/memory.js';
import type { WorkerPool } from '../../runtime/pool.js';

export interface WasmContext {
  /** Runs `exports[fn](...args, r0, r1)` over [0, nRows) on all threads; pool.exports calls the caller's own instance. */
  readonly pool: WorkerPool;
  readonly views: MemoryViews;
  readonly arena: Arena;
  /** True when the relaxed-SIMD build is loaded. */
  readonly relaxed: boolean;
  /** Fast-math: kernels may reorder sums (off by default; the default path stays token-exact). */
  readonly fastMath: boolean;
  /** A scratch region of at least `bytes`, reused between calls (contents not preserved). Slot separates concurrent users. */
  scratch(slot: 'act' | 'attn' | 'misc' | 'sample', bytes: number): number;
}
