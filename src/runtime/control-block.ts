// Layout of the fork-join control block that the caller and the pool workers share.
// It lives in the shared WASM memory at CONTROL_BLOCK_PTR, so both sides read it with Atomics
// over the same bytes the kernels use — no postMessage per job.
//
// Protocol (one job = one generation g):
//   caller: writes the job descriptor (kernel, args, and for each thread t that gets rows: its
//           range and RANGE_GEN = g), resets DONE, bumps GEN (an Atomics op: publishes the plain
//           writes before it), notifies if any worker sleeps, runs its own share, then waits
//           until DONE == N_ACTIVE - 1.
//   worker: spins on GEN, then Atomics.wait; on GEN = g it has rows iff its RANGE_GEN == g; then it
//           runs them, Atomics.add(DONE, 1) and notifies the caller if the caller sleeps.
// Chunked jobs: the rows are cut into N_CHUNKS chunks of whole granules (chunkStart); thread t's
// range is chunk t, and a thread that finishes it claims the next unclaimed chunk (Atomics.add on
// NEXT_CHUNK) until none is left, so a thread that runs slower for a while (measured: the calling
// thread's share of a prefill matmul ~8% slower than a worker's) does less of the job instead of
// holding the others at the join. Unchunked jobs (N_CHUNKS = N_ACTIVE) skip the claiming.
// Only threads with rows acknowledge, so a small job does not wait for idle workers to wake. The
// caller rewrites a thread's slot only after that thread acknowledged its last job, and a worker
// without rows never reads its range, so no one reads a half-written descriptor.
import { CONTROL_BLOCK_BYTES, CONTROL_BLOCK_PTR } from './memory.js';

/** Int32 slot indices. GEN and DONE sit on their own 64-byte lines: workers spin on GEN while DONE is hammered. */
export const GEN = 0;
export const DONE = 16;
/** Next chunk to claim (own line: threads claim it while others read the descriptor). */
export const NEXT_CHUNK = 48;
/** Nonzero: workers exit at the next generation. */
export const QUIT = 32;
/** Number of workers that reported a kernel error in the current job. */
export const ERRORS = 33;
/** Thread index (1-based worker id) of a worker that died; 0 while all live. */
export const DEAD = 34;
/** Exit code of the dead worker. */
export const DEAD_CODE = 35;
/** Index into the kernel name table. */
export const KERNEL = 36;
/** Number of f64 arguments before (r0, r1). */
export const ARGC = 37;
/** Threads that got a range this job (caller included): threads [0, N_ACTIVE) have one. */
export const N_ACTIVE = 38;
/** Workers currently inside Atomics.wait on GEN (the caller skips notify when 0). */
export const WORKERS_SLEEPING = 39;
/** 1 while the caller is inside Atomics.wait on DONE. */
export const CALLER_SLEEPING = 40;
/** 1 while the caller is inside a burst of ops (a forward pass): workers spin longer before sleeping. */
export const HOT = 41;
/** How long workers spin between ops during a burst (µs): long enough to bridge the caller's serial
 *  work between two ops, short enough not to hold a core when the machine is oversubscribed. */
export const HOT_SPIN_MICROS = Number(process.env.TSLLAMA_HOT_SPIN ?? 2000);
/** The job's chunking: chunks, rows, rows per granule (see chunkStart). */
export const N_CHUNKS = 42;
export const N_ROWS = 43;
export const GRANULE = 44;
/** Per-thread slots of RANGE_STRIDE ints at RANGES + RANGE_STRIDE * t (t = 0 is the caller): */
export const RANGES = 64;
export const RANGE_STRIDE = 4;
/** Slot offsets: first row, end row, generation the range belongs to. */
export const RANGE_R0 = 0;
export const RANGE_R1 = 1;
export const RANGE_GEN = 2;
export const MAX_THREADS = 256;
/** Per-thread error flags: [ERROR_FLAGS + t] = 1 when thread t's kernel threw this job. */
export const ERROR_FLAGS = RANGES + RANGE_STRIDE * MAX_THREADS;
const INT_SLOTS = ERROR_FLAGS + MAX_THREADS;

/** Kernel arguments as f64 (exact for every i32 and f32), from this byte offset inside the block. */
const ARGS_BYTE_OFFSET = 8192;
export const MAX_ARGS = 64;

if (INT_SLOTS * 4 > ARGS_BYTE_OFFSET || ARGS_BYTE_OFFSET + MAX_ARGS * 8 > CONTROL_BLOCK_BYTES) {
  throw new Error('control block layout does not fit in CONTROL_BLOCK_BYTES');
}

export interface ControlViews {
  /** Int32 slots, indexed by the constants above. */
  readonly ctl: Int32Array;
  /** Kernel arguments [MAX_ARGS] f64. */
  readonly args: Float64Array;
}

/**
 * Views over the control block. Shared memory never detaches on grow(), so views made once
 * over the first buffer stay valid for the life of the memory.
 */
export function controlViews(memory: WebAssembly.Memory): ControlViews {
  const buffer = memory.buffer;
  if (buffer.byteLength < CONTROL_BLOCK_PTR + CONTROL_BLOCK_BYTES) {
    throw new Error(`shared memory is ${buffer.byteLength} bytes, too small for the control block at ${CONTROL_BLOCK_PTR}`);
  }
  return {
    ctl: new Int32Array(buffer, CONTROL_BLOCK_PTR, INT_SLOTS),
    args: new Float64Array(buffer, CONTROL_BLOCK_PTR + ARGS_BYTE_OFFSET, MAX_ARGS),
  };
}

export type KernelFn = (...args: number[]) => number | void;

/**
 * First row of chunk c of nChunks over nRows rows in granules of `granule` rows (chunk c ends where
 * chunk c + 1 starts): chunk c takes granules [⌊c·G/n⌋, ⌊(c+1)·G/n⌋) of the G = ⌈nRows/granule⌉,
 * so chunk sizes differ by at most one granule and only the last chunk's end is cut to nRows.
 * A number, not a pair: the pool computes it per thread on every op, decode included.
 */
export function chunkStart(c: number, nChunks: number, nRows: number, granule: number): number {
  const nGranules = Math.ceil(nRows / granule);
  return Math.min(Math.floor((c * nGranules) / nChunks) * granule, nRows);
}

/**
 * Claims chunks after a thread's first until none is left and runs `f` on each (nothing for an
 * unchunked job). Each chunk's rows go into the thread's range slot first, so after a throw the
 * slot names the rows that failed.
 */
export function runClaimedChunks(ctl: Int32Array, slot: number, f: KernelFn, args: ArrayLike<number>, argc: number): void {
  const nChunks = ctl[N_CHUNKS];
  if (nChunks <= ctl[N_ACTIVE]) return;
  const nRows = ctl[N_ROWS];
  const granule = ctl[GRANULE];
  for (let c = Atomics.add(ctl, NEXT_CHUNK, 1); c < nChunks; c = Atomics.add(ctl, NEXT_CHUNK, 1)) {
    const r0 = chunkStart(c, nChunks, nRows, granule);
    const r1 = chunkStart(c + 1, nChunks, nRows, granule);
    ctl[slot + RANGE_R0] = r0;
    ctl[slot + RANGE_R1] = r1;
    invokeKernel(f, args, argc, r0, r1);
  }
}

/**
 * Calls `f(args[0..argc), r0, r1)` without building an argument array for the common arities
 * (the pool does this hundreds of times per token).
 */
export function invokeKernel(f: KernelFn, args: ArrayLike<number>, argc: number, r0: number, r1: number): void {
  switch (argc) {
    case 0: f(r0, r1); return;
    case 1: f(args[0], r0, r1); return;
    case 2: f(args[0], args[1], r0, r1); return;
    case 3: f(args[0], args[1], args[2], r0, r1); return;
    case 4: f(args[0], args[1], args[2], args[3], r0, r1); return;
    case 5: f(args[0], args[1], args[2], args[3], args[4], r0, r1); return;
    case 6: f(args[0], args[1], args[2], args[3], args[4], args[5], r0, r1); return;
    case 7: f(args[0], args[1], args[2], args[3], args[4], args[5], args[6], r0, r1); return;
    case 8: f(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], r0, r1); return;
    default: {
      const all = Array.prototype.slice.call(args, 0, argc) as number[];
      all.push(r0, r1);
      f(...all);
    }
  }
}
