// A pool worker: instantiates the kernels over the shared memory, then loops on the control block
// (see control-block.ts for the protocol). Spawned by WorkerPool from dist/src/runtime/worker.js.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import {
  ARGC, CALLER_SLEEPING, HOT, HOT_SPIN_MICROS, DEAD, DEAD_CODE, DONE, ERROR_FLAGS, ERRORS, GEN, KERNEL, N_ACTIVE, QUIT, RANGE_GEN,
  RANGE_R0, RANGE_R1, RANGE_STRIDE, RANGES, WORKERS_SLEEPING, controlViews, invokeKernel, runClaimedChunks, type KernelFn,
} from './control-block.js';
import { instantiateKernels, type KernelVariant } from './kernel-module.js';
import { QUICK_SPINS, SpinBudget } from './spin-budget.js';

/** What WorkerPool.create sends each worker once, at startup. */
export interface PoolWorkerData {
  module: WebAssembly.Module;
  variant: KernelVariant;
  path: string;
  memory: WebAssembly.Memory;
  /** Kernel name table: jobs name a kernel by index into it. */
  names: string[];
  /** This worker's thread index, 1..threads-1 (0 is the caller). */
  index: number;
  /** Longest spin on the generation counter before sleeping in Atomics.wait (adapts below it). */
  spinMicros: number;
  /** Out-of-band channel for error details; the caller drains it synchronously (receiveMessageOnPort). */
  errorPort: MessagePort;
}

/** Posted on errorPort: a kernel error (fatal=false) or a crash of the worker loop itself (fatal=true). */
export interface WorkerErrorMessage {
  message: string;
  stack?: string;
  fatal: boolean;
}

const data = workerData as PoolWorkerData;
const { ctl, args } = controlViews(data.memory);
const { index, errorPort } = data;
const slot = RANGES + RANGE_STRIDE * index;
const spin = new SpinBudget(data.spinMicros);

const instance = instantiateKernels({ module: data.module, variant: data.variant, path: data.path }, data.memory);
const kernels: KernelFn[] = data.names.map((name) => {
  const f = instance.exports[name];
  if (typeof f !== 'function') throw new Error(`kernel module has no function export '${name}'`);
  return f as KernelFn;
});

function report(e: unknown, fatal: boolean): void {
  const err = e instanceof Error ? e : new Error(String(e));
  const msg: WorkerErrorMessage = { message: err.message, stack: err.stack, fatal };
  errorPort.postMessage(msg);
}

/** Returns the next generation: spins within the budget, then sleeps (counted in WORKERS_SLEEPING so the caller knows to notify). */
function nextGeneration(seen: number): number {
  // Fast path without clock reads: back-to-back ops arrive within a few hundred loads.
  for (let i = 0; i < QUICK_SPINS; i++) {
    const g = Atomics.load(ctl, GEN);
    if (g !== seen) {
      spin.record(0);
      return g;
    }
  }
  const start = performance.now();
  // During a burst (a forward pass) the next op usually follows within microseconds: keep spinning.
  const budget = Atomics.load(ctl, HOT) !== 0 ? Math.max(spin.micros, HOT_SPIN_MICROS) : spin.micros;
  const g = awaitGeneration(seen, start + budget / 1000);
  spin.record((performance.now() - start) * 1000);
  return g;
}

function awaitGeneration(seen: number, spinUntil: number): number {
  for (let i = 1; ; i++) {
    const g = Atomics.load(ctl, GEN);
    if (g !== seen) return g;
    if ((i & 255) === 0 && performance.now() > spinUntil) break;
  }
  for (;;) {
    Atomics.add(ctl, WORKERS_SLEEPING, 1);
    Atomics.wait(ctl, GEN, seen);
    Atomics.sub(ctl, WORKERS_SLEEPING, 1);
    const g = Atomics.load(ctl, GEN);
    if (g !== seen) return g;
  }
}

function serve(): void {
  let seen = Atomics.load(ctl, GEN);
  parentPort!.postMessage('ready');
  for (;;) {
    seen = nextGeneration(seen);
    if (Atomics.load(ctl, QUIT) !== 0) return;
    if (Atomics.load(ctl, slot + RANGE_GEN) !== seen) continue; // no rows for this thread this job
    try {
      const f = kernels[ctl[KERNEL]];
      const argc = ctl[ARGC];
      invokeKernel(f, args, argc, ctl[slot + RANGE_R0], ctl[slot + RANGE_R1]);
      runClaimedChunks(ctl, slot, f, args, argc);
    } catch (e) {
      // Post the details before acknowledging, so they are queued by the time the caller looks.
      report(e, false);
      ctl[ERROR_FLAGS + index] = 1;
      Atomics.add(ctl, ERRORS, 1);
    }
    const workersWithRows = ctl[N_ACTIVE] - 1;
    if (Atomics.add(ctl, DONE, 1) === workersWithRows - 1 && Atomics.load(ctl, CALLER_SLEEPING) !== 0) {
      Atomics.notify(ctl, DONE);
    }
  }
}

// If this thread dies outside a dispose, flag it and wake the caller so run() throws instead of hanging.
process.on('exit', (code) => {
  if (Atomics.load(ctl, QUIT) !== 0) return;
  if (Atomics.load(ctl, DEAD) === 0) {
    ctl[DEAD_CODE] = code;
    Atomics.compareExchange(ctl, DEAD, 0, index);
  }
  Atomics.notify(ctl, DONE);
});

try {
  serve();
} catch (e) {
  report(e, true);
  throw e;
} finally {
  errorPort.close();
}
