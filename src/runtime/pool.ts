// Fork-join worker pool: runs one kernel export over a row range split across all threads.
// The caller thread takes a share itself; workers are driven through the control block in the
// shared memory (control-block.ts), never by a postMessage per job.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  ARGC, CALLER_SLEEPING, HOT, DEAD, DEAD_CODE, DONE, ERROR_FLAGS, ERRORS, GEN, GRANULE, KERNEL, MAX_ARGS, MAX_THREADS, N_ACTIVE,
  N_CHUNKS, N_ROWS, NEXT_CHUNK, QUIT, RANGE_GEN, RANGE_R0, RANGE_R1, RANGE_STRIDE, RANGES, WORKERS_SLEEPING, chunkStart,
  controlViews, invokeKernel, runClaimedChunks,
  type KernelFn,
} from './control-block.js';
import { instantiateKernels, type KernelModule } from './kernel-module.js';
import { QUICK_SPINS, SpinBudget } from './spin-budget.js';
import type { PoolWorkerData, WorkerErrorMessage } from './worker.js';

export interface WorkerPoolOptions {
  memory: WebAssembly.Memory;
  kernels: KernelModule;
  /** Total threads including the calling thread (threads - 1 workers are spawned). */
  threads: number;
  /**
   * Longest spin of an idle worker before it sleeps: covers the gap between consecutive ops (the
   * actual spin adapts below it, see spin-budget.ts). Default 200 µs, or 0 when threads exceed the
   * CPUs. 0 also makes the caller sleep at once while it waits for workers.
   */
  spinMicros?: number;
}

/** A kernel failed on one of the pool's threads. */
export class KernelError extends Error {
  constructor(
    readonly kernel: string,
    /** 0 = the calling thread, 1.. = workers. */
    readonly thread: number,
    readonly rows: readonly [number, number],
    message: string,
    options?: ErrorOptions,
  ) {
    super(`kernel ${kernel} failed on thread ${thread} (rows [${rows[0]}, ${rows[1]})): ${message}`, options);
    this.name = 'KernelError';
  }
}

const DEFAULT_SPIN_MICROS = 200;
/** When spinning is on, the caller's longest spin for workers to finish before sleeping in Atomics.wait. */
const CALLER_SPIN_MICROS = 100;
/** Backstop timeout of each caller Atomics.wait, to re-check the dead flag. */
const CALLER_WAIT_MS = 100;

/** Memories with a live pool: the control block sits at a fixed address, so one pool per memory. */
const claimedMemories = new WeakSet<WebAssembly.Memory>();

export class WorkerPool {
  readonly threads: number;
  /** The calling thread's own instance exports, for serial calls. */
  readonly exports: Record<string, KernelFn>;

  readonly #memory: WebAssembly.Memory;
  readonly #ctl: Int32Array;
  readonly #args: Float64Array;
  readonly #kernelIndex: Map<string, number>;
  readonly #workers: Worker[];
  readonly #errorPorts: MessagePort[];
  /** Why the pool cannot run any more (a worker died), or undefined while healthy. */
  #broken: string | undefined;
  readonly #spin: SpinBudget;
  /** Last uncaught error a worker reported through its 'error' event. */
  #workerCrash: Error | undefined;
  #disposed = false;

  private constructor(
    memory: WebAssembly.Memory, threads: number, exports: Record<string, KernelFn>, names: string[],
    workers: Worker[], errorPorts: MessagePort[], spinMicros: number,
  ) {
    this.#spin = new SpinBudget(spinMicros > 0 ? CALLER_SPIN_MICROS : 0);
    this.#memory = memory;
    this.threads = threads;
    this.exports = exports;
    const { ctl, args } = controlViews(memory);
    this.#ctl = ctl;
    this.#args = args;
    this.#kernelIndex = new Map(names.map((n, i) => [n, i]));
    this.#workers = workers;
    this.#errorPorts = errorPorts;
    workers.forEach((w, i) => {
      w.on('exit', (code) => this.#onWorkerExit(i + 1, code));
      // Without a listener an uncaught worker error would crash the whole process.
      w.on('error', (e) => { this.#workerCrash = e; });
      w.unref();
    });
  }

  static async create(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const { memory, kernels, threads } = opts;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new Error(`WorkerPool: threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
    }
    if (claimedMemories.has(memory)) throw new Error('WorkerPool: this memory already has a live pool (dispose it first)');
    const { ctl } = controlViews(memory);

    const instance = instantiateKernels(kernels, memory);
    const names = WebAssembly.Module.exports(kernels.module).filter((e) => e.kind === 'function').map((e) => e.name);
    const exports: Record<string, KernelFn> = {};
    for (const name of names) exports[name] = instance.exports[name] as KernelFn;

    const spinMicros = opts.spinMicros ?? (threads <= os.availableParallelism() ? DEFAULT_SPIN_MICROS : 0);
    if (!(spinMicros >= 0)) throw new Error(`WorkerPool: spinMicros must be >= 0, got ${spinMicros}`);
    claimedMemories.add(memory);
    ctl.fill(0);
    const workers: Worker[] = [];
    const errorPorts: MessagePort[] = [];
    try {
      const started: Promise<void>[] = [];
      for (let index = 1; index < threads; index++) {
        const { port1, port2 } = new MessageChannel();
        port1.unref();
        errorPorts.push(port1);
        const data: PoolWorkerData = {
          module: kernels.module, variant: kernels.variant, path: kernels.path, memory, names, index,
          spinMicros, errorPort: port2,
        };
        const worker = new Worker(new URL('./worker.js', import.meta.url), {
          workerData: data, transferList: [port2], execArgv: workerExecArgv(process.execArgv),
        });
        workers.push(worker);
        started.push(workerStarted(worker, index));
      }
      await Promise.all(started);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      errorPorts.forEach((p) => p.close());
      claimedMemories.delete(memory);
      throw e;
    }
    return new WorkerPool(memory, threads, exports, names, workers, errorPorts, spinMicros);
  }

  /**
   * Marks a burst of ops (a forward pass): while on, idle workers keep spinning between ops
   * (up to HOT_SPIN_MICROS) instead of sleeping, which saves a futex wake-up (~30 µs) per op.
   */
  setHot(on: boolean): void {
    Atomics.store(this.#ctl, HOT, on ? 1 : 0);
  }

  #serial = false;

  /**
   * While on, run() calls the kernel on the calling thread for the whole range (no fork-join).
   * For work too small to amortize a fork-join — e.g. one-token decode steps of small models,
   * where the model measures both ways and keeps the faster (src/model/thread-mode.ts).
   */
  setSerial(on: boolean): void {
    this.#serial = on;
  }

  /**
   * Splits [0, nRows) into ranges of whole granules (the last ends at nRows) over up to `threads`
   * threads, caller included, and calls exports[fn](...args, r0, r1) on each. With
   * chunksPerThread > 1 the rows are cut into that many chunks per thread: each thread starts on
   * its own and then claims unclaimed ones, so a thread that runs slower does less of the job
   * (worth it for long jobs such as prefill matmuls; each chunk is one more kernel call).
   * Blocks until all are done; a kernel error on any thread is re-thrown here as a KernelError.
   * Args travel as f64, so i32/f32/f64 arguments arrive exactly (no i64).
   */
  run(fn: string, args: number[], nRows: number, granule = 1, chunksPerThread = 1): void {
    if (this.#disposed) throw new Error(`WorkerPool.run(${fn}): the pool is disposed`);
    const k = this.#kernelIndex.get(fn);
    if (k === undefined) throw new Error(`WorkerPool.run: the kernel module has no function export '${fn}'`);
    if (!Number.isInteger(nRows) || nRows < 0) throw new Error(`WorkerPool.run(${fn}): nRows must be a non-negative integer, got ${nRows}`);
    if (!Number.isInteger(granule) || granule < 1) throw new Error(`WorkerPool.run(${fn}): granule must be a positive integer, got ${granule}`);
    if (!Number.isInteger(chunksPerThread) || chunksPerThread < 1) throw new Error(`WorkerPool.run(${fn}): chunksPerThread must be a positive integer, got ${chunksPerThread}`);
    if (args.length > MAX_ARGS) throw new Error(`WorkerPool.run(${fn}): ${args.length} arguments, at most ${MAX_ARGS} fit the control block`);
    if (nRows === 0) return;
    const f = this.exports[fn];

    const nGranules = Math.ceil(nRows / granule);
    const nActive = this.#serial ? 1 : Math.min(this.threads, nGranules);
    if (nActive === 1) {
      // Nothing to share: no fork, no wake-up.
      try {
        invokeKernel(f, args, args.length, 0, nRows);
      } catch (e) {
        throw new KernelError(fn, 0, [0, nRows], (e as Error).message, { cause: e });
      }
      return;
    }
    if (this.#broken) throw new Error(`WorkerPool.run(${fn}): the pool is broken: ${this.#broken}`);

    // Job descriptor: plain writes, published by the Atomics.store on GEN below. Thread t starts
    // on chunk t; the rest are claimed through NEXT_CHUNK.
    const ctl = this.#ctl;
    const nChunks = Math.min(nGranules, nActive * chunksPerThread);
    const gen = (ctl[GEN] + 1) | 0;
    for (let t = 0; t < nActive; t++) {
      const slot = RANGES + RANGE_STRIDE * t;
      ctl[slot + RANGE_R0] = chunkStart(t, nChunks, nRows, granule);
      ctl[slot + RANGE_R1] = chunkStart(t + 1, nChunks, nRows, granule);
      Atomics.store(ctl, slot + RANGE_GEN, gen);
    }
    ctl[N_CHUNKS] = nChunks;
    ctl[N_ROWS] = nRows;
    ctl[GRANULE] = granule;
    Atomics.store(ctl, NEXT_CHUNK, nActive);
    if ((gen & 0xffff) === 0) {
      // Idle slots keep an old generation; restamp them half the counter range away so the 32-bit
      // counter cannot wrap around to their stale value.
      for (let t = nActive; t < this.threads; t++) Atomics.store(ctl, RANGES + RANGE_STRIDE * t + RANGE_GEN, gen ^ 0x80000000);
    }
    for (let i = 0; i < args.length; i++) this.#args[i] = args[i];
    ctl[KERNEL] = k;
    ctl[ARGC] = args.length;
    ctl[N_ACTIVE] = nActive;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, GEN, gen);
    if (Atomics.load(ctl, WORKERS_SLEEPING) !== 0) Atomics.notify(ctl, GEN);

    let ownError: unknown;
    try {
      invokeKernel(f, args, args.length, 0, ctl[RANGES + RANGE_R1]);
      runClaimedChunks(ctl, RANGES, f, args, args.length);
    } catch (e) {
      ownError = e ?? new Error('undefined thrown');
    }
    this.#awaitWorkers(fn, nActive - 1);
    if (ownError !== undefined) {
      this.#drainWorkerErrors();
      const rows = [ctl[RANGES + RANGE_R0], ctl[RANGES + RANGE_R1]] as const;
      throw new KernelError(fn, 0, rows, (ownError as Error).message ?? String(ownError), { cause: ownError });
    }
    if (ctl[ERRORS] !== 0) this.#throwWorkerError(fn);
  }

  /** Waits until the `target` workers with rows acknowledged the job: spin first (ops are short), then sleep. */
  #awaitWorkers(fn: string, target: number): void {
    const ctl = this.#ctl;
    for (let i = 0; i < QUICK_SPINS; i++) {
      if (Atomics.load(ctl, DONE) === target) {
        this.#spin.record(0);
        return;
      }
    }
    const start = performance.now();
    const spinUntil = start + this.#spin.micros / 1000;
    for (let i = 1; Atomics.load(ctl, DONE) !== target; i++) {
      if ((i & 255) !== 0) continue;
      if (Atomics.load(ctl, DEAD) !== 0) this.#throwDead(fn);
      if (performance.now() > spinUntil) {
        this.#sleepForWorkers(fn, target);
        break;
      }
    }
    this.#spin.record((performance.now() - start) * 1000);
  }

  #sleepForWorkers(fn: string, target: number): void {
    const ctl = this.#ctl;
    Atomics.store(ctl, CALLER_SLEEPING, 1);
    try {
      for (;;) {
        const done = Atomics.load(ctl, DONE);
        if (done === target) return;
        if (Atomics.load(ctl, DEAD) !== 0) this.#throwDead(fn);
        Atomics.wait(ctl, DONE, done, CALLER_WAIT_MS);
      }
    } finally {
      Atomics.store(ctl, CALLER_SLEEPING, 0);
    }
  }

  #throwWorkerError(fn: string): never {
    const ctl = this.#ctl;
    let first: KernelError | undefined;
    for (let t = 1; t < this.threads; t++) {
      if (ctl[ERROR_FLAGS + t] === 0) continue;
      ctl[ERROR_FLAGS + t] = 0;
      const msg = this.#receiveError(t);
      const slot = RANGES + RANGE_STRIDE * t;
      const rows = [ctl[slot + RANGE_R0], ctl[slot + RANGE_R1]] as const;
      first ??= new KernelError(fn, t, rows, msg?.message ?? '(no details received)', msg ? { cause: workerStackError(msg) } : undefined);
    }
    ctl[ERRORS] = 0;
    throw first ?? new KernelError(fn, -1, [0, 0], 'a worker reported an error but left no flag');
  }

  /** After the caller's own failure: clear worker errors of the same job so they do not leak into the next one. */
  #drainWorkerErrors(): void {
    const ctl = this.#ctl;
    for (let t = 1; t < this.threads; t++) {
      if (ctl[ERROR_FLAGS + t] !== 0) this.#receiveError(t);
      ctl[ERROR_FLAGS + t] = 0;
    }
    ctl[ERRORS] = 0;
  }

  #receiveError(thread: number): WorkerErrorMessage | undefined {
    const received = receiveMessageOnPort(this.#errorPorts[thread - 1]);
    return received?.message as WorkerErrorMessage | undefined;
  }

  #throwDead(fn: string): never {
    const thread = Atomics.load(this.#ctl, DEAD);
    this.#markDead(thread, this.#ctl[DEAD_CODE]);
    throw new Error(`WorkerPool.run(${fn}): ${this.#broken}`);
  }

  #markDead(thread: number, code: number): void {
    if (this.#broken) return;
    const why = this.#receiveError(thread)?.message ?? this.#workerCrash?.message;
    this.#broken = `worker ${thread} exited (code ${code})${why ? `: ${why}` : ''}`;
  }

  #onWorkerExit(thread: number, code: number): void {
    if (this.#disposed) return;
    const ctl = this.#ctl;
    if (Atomics.load(ctl, DEAD) === 0) {
      ctl[DEAD_CODE] = code;
      Atomics.compareExchange(ctl, DEAD, 0, thread);
    }
    Atomics.notify(ctl, DONE);
    this.#markDead(Atomics.load(ctl, DEAD), ctl[DEAD_CODE]);
  }

  /** Stops the workers (quit flag + wake), terminates them and waits for them to exit. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const ctl = this.#ctl;
    Atomics.store(ctl, QUIT, 1);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    // Ref'd again so the process stays up until they are really gone.
    this.#workers.forEach((w) => w.ref());
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#errorPorts.forEach((p) => p.close());
    claimedMemories.delete(this.#memory);
  }
}

/**
 * The parent's Node flags minus those about the main script's source (--input-type, -e, -p):
 * inherited by a worker that loads a file, they make it fail to start.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a.startsWith('--input-type=') || a.startsWith('--eval=') || a.startsWith('--print=')) continue;
    // Process-wide flags that workers reject with ERR_WORKER_INVALID_EXEC_ARGV.
    if (/^--(expose[-_]gc|max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size|inspect|inspect-brk|title)(=|$)/.test(a)) continue;
    if (['--input-type', '-e', '--eval', '-p', '--print', '-pe'].includes(a)) {
      i++; // and its value
      continue;
    }
    out.push(a);
  }
  return out;
}

/** The worker's error, rebuilt on this thread with the worker's stack. */
function workerStackError(msg: WorkerErrorMessage): Error {
  const e = new Error(msg.message);
  if (msg.stack) e.stack = msg.stack;
  return e;
}

/** Resolves when the worker posts 'ready'; rejects with its startup error or exit. */
function workerStarted(worker: Worker, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (m !== 'ready') return;
      cleanup();
      resolve();
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new Error(`WorkerPool: worker ${index} failed to start: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`WorkerPool: worker ${index} exited during startup (code ${code})`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
