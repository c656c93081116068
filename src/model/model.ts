// Model: a loaded GGUF — config, tokenizer, weights packed in one shared WASM memory, the
// kernels (and their thread pool) that run over it. Sessions (KV caches) are created from it.
import { getArchitecture } from '../arch/index.js';
import type { ModelConfig } from '../arch/config.js';
import { forwardBatch, type BatchSegment, type LogitsWanted } from '../arch/transformer.js';
import { readGGUF } from '../gguf/reader.js';
import type { GGUFFile, GGUFValue } from '../gguf/types.js';
import { ScalarKernels } from '../kernels/scalar/index.js';
import { WasmKernels } from '../kernels/wasm/backend.js';
import { resetMatmulTuning } from '../kernels/wasm/matmul.js';
import { applyCachedTuning, machineKey } from '../kernels/wasm/tune-cache.js';
import type { Kernels, KVType } from '../kernels/types.js';
import { Arena, createSharedMemory, MemoryViews } from '../runtime/memory.js';
import { defaultThreadCount } from '../runtime/threads.js';
import { layoutKVCache, kvRegionBytes, parseKvType, type KVCache } from '../session/kv-cache.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { planMemory, type MemoryBudget } from './budget.js';
import { ThreadModeChooser, type ThreadMode } from './thread-mode.js';
import { loadStandardWeights } from './load-weights.js';
import { parseQuantMode, type QuantMode } from './quant-mode.js';
import { allocScratch, type Scratch } from './scratch.js';
import { TensorLoader, type LoadProgress } from './tensor-loader.js';
import type { ModelWeights } from './weights.js';

export interface LoadOptions {
  /** In-memory weight format (default q8). */
  quant?: QuantMode;
  /** Total threads including the caller (default: TSLLAMA_THREADS or the core count). */
  threads?: number;
  /** Default context length of sessions (default min(4096, the model's training context)). */
  contextLength?: number;
  /** Largest batch of tokens one forward pass takes; longer prompts run in chunks (default 512). */
  maxBatch?: number;
  /** 'wasm' (default) or 'scalar' (the slow TypeScript oracle, for tests). */
  backend?: 'wasm' | 'scalar';
  /** Force the plain SIMD build even where relaxed SIMD validates. */
  kernelVariant?: 'simd' | 'relaxed';
  /** Allow kernels to reorder sums for speed (off by default). */
  fastMath?: boolean;
  /** Read the tuner's cached kernel choices (default true). */
  tune?: boolean;
  /**
   * KV cache precision of sessions (default 'f16', llama.cpp's default). 'f32' takes twice the
   * memory and attends with an f32 accumulator: exact where f16 rounds, and faster at long contexts
   * (no f16 conversions; decode attention at 1000 keys ~2× faster).
   */
  kvType?: KVType;
  onProgress?: LoadProgress;
}

let nextModelId = 1;

export class Model {
  readonly id = nextModelId++;
  private freeKV: { ptr: number; bytes: number }[] = [];
  /**
   * Whether small steps (decode, batched decode, the server's short prefill chunks) use the pool,
   * chosen by timing both (see thread-mode.ts); one chooser per step size class (smallStepClass),
   * since 4 tokens of a tiny model and 1 token of a big one can fall on different sides.
   */
  private readonly decodeModes = new Map<number, ThreadModeChooser>();
  private readonly chooseDecodeMode: boolean;
  private disposed = false;

  private constructor(
    readonly path: string,
    readonly file: GGUFFile,
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    readonly quant: QuantMode,
    readonly threads: number,
    readonly defaultContext: number,
    /** KV cache precision of sessions that do not choose their own. */
    readonly kvType: KVType,
    readonly budget: MemoryBudget,
    readonly memory: WebAssembly.Memory,
    private readonly arena: Arena,
    readonly views: MemoryViews,
    readonly kernels: Kernels,
    readonly weights: ModelWeights,
    readonly scratch: Scratch,
  ) {
    this.chooseDecodeMode = threads > 1 && kernels.serial !== undefined && process.env.TSLLAMA_DECODE_THREADS !== 'pool';
  }

  /** The thread-mode chooser of steps of size class `sizeClass` (see smallStepClass). */
  private decodeMode(sizeClass: number): ThreadModeChooser {
    let c = this.decodeModes.get(sizeClass);
    if (!c) this.decodeModes.set(sizeClass, (c = new ThreadModeChooser(this.chooseDecodeMode)));
    return c;
  }

  /**
   * How one-token decode steps run now: on the pool, or on the calling thread alone (chosen by
   * timing both; see thread-mode.ts). Always 'pooled' for a one-thread model or a scalar backend.
   * Other small steps (batched decode, short prefill chunks) choose apart, per size class: see
   * decodeThreadModes.
   */
  get decodeThreadMode(): ThreadMode {
    return this.decodeModes.get(1)?.current ?? 'pooled';
  }

  /**
   * The current choice per size class of the small steps seen so far, keyed by the class's largest
   * token count (1, 2, 3, 4, 8, 16; 1 is single-session decode). Larger steps always use the pool.
   */
  get decodeThreadModes(): Record<number, ThreadMode> {
    return Object.fromEntries([...this.decodeModes].map(([n, c]) => [n, c.current]));
  }

  static async load(path: string, opts: LoadOptions = {}): Promise<Model> {
    const file = readGGUF(path);
    const archName = String(file.metadata.get('general.architecture') ?? '');
    if (!archName) throw new Error(`${path}: GGUF has no general.architecture`);
    const config = getArchitecture(archName, path).readConfig(file);
    const tokenizer = loadTokenizer(file);
    const quant = parseQuantMode(opts.quant ?? 'q8');
    const threads = opts.threads ?? defaultThreadCount();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
    const nCtx = opts.contextLength ?? Math.min(4096, config.nCtxTrain);
    const maxBatch = Math.min(opts.maxBatch ?? 512, nCtx);
    const kvType = parseKvType(opts.kvType ?? 'f16');

    const memory = createSharedMemory(16 << 20);
    const arena = new Arena(memory);
    const views = new MemoryViews(memory);
    const kernels = await createBackend(opts, memory, arena, threads);
    try {
      const budget = planMemory(file, config, kernels, quant, nCtx, kvType, maxBatch);
      const loader = new TensorLoader(file, kernels, arena, views, quant, opts.onProgress);
      let weights: ModelWeights;
      try {
        weights = loadStandardWeights(config, loader);
      } finally {
        loader.close();
      }
      const scratch = allocScratch(config, arena, maxBatch);
      return new Model(path, file, config, tokenizer, quant, threads, nCtx, kvType, budget, memory, arena, views, kernels, weights, scratch);
    } catch (e) {
      await kernels.dispose();
      throw e;
    }
  }

  get architecture(): string {
    return this.config.architecture;
  }

  metadata(key: string): GGUFValue | undefined {
    return this.file.metadata.get(key);
  }

  encode(text: string, opts?: { addSpecial?: boolean; parseSpecial?: boolean }): number[] {
    return this.tokenizer.encode(text, opts);
  }

  decode(ids: number[], opts?: { special?: boolean }): string {
    return this.tokenizer.decode(ids, opts);
  }

  piece(id: number): string {
    return this.tokenizer.piece(id);
  }

  /** Bytes of WASM memory in use (weights + caches + scratch) and the process's resident set. */
  memoryUsage(): { wasmBytes: number; rssBytes: number } {
    return { wasmBytes: this.memory.buffer.byteLength, rssBytes: process.memoryUsage().rss };
  }

  /** @internal Allocates a KV cache region (reusing a released one when it fits). */
  allocKV(nCtx: number, kvType: KVType): KVCache {
    this.assertLive();
    const bytes = kvRegionBytes(this.config, nCtx, kvType);
    const i = this.freeKV.findIndex((r) => r.bytes >= bytes);
    const region = i >= 0 ? this.freeKV.splice(i, 1)[0] : { ptr: this.arena.alloc(bytes, 64, `KV cache (${nCtx} tokens)`), bytes };
    return layoutKVCache(this.config, nCtx, kvType, region.ptr, region.bytes);
  }

  /** @internal */
  releaseKV(kv: KVCache): void {
    this.freeKV.push(kv.region);
  }

  /** @internal One forward pass of ≤ maxBatch tokens; returns the logits pointer. */
  forward(kv: KVCache, ids: ArrayLike<number>, pos0: number, wanted: LogitsWanted): number {
    return this.forwardBatch([{ kv, ids, pos0 }], wanted);
  }

  /** @internal Several sessions' tokens in one forward pass (batched decoding); 'last' gives one logits row per segment. */
  forwardBatch(segments: readonly BatchSegment[], wanted: LogitsWanted): number {
    this.assertLive();
    const sizeClass = smallStepClass(segments.reduce((n, seg) => n + seg.ids.length, 0));
    const chooser = sizeClass > 0 ? this.decodeMode(sizeClass) : null;
    const mode = chooser ? chooser.next() : 'pooled';
    const t0 = performance.now();
    this.kernels.serial?.(mode === 'serial');
    this.kernels.burst?.(mode === 'pooled');
    try {
      return forwardBatch({ cfg: this.config, weights: this.weights, kernels: this.kernels, scratch: this.scratch, views: this.views }, segments, wanted);
    } finally {
      this.kernels.burst?.(false);
      this.kernels.serial?.(false);
      chooser?.record(mode, performance.now() - t0);
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('model has been disposed');
  }

  /** Stops the worker threads and drops the memory; the model cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.kernels.dispose();
  }
}

async function createBackend(opts: LoadOptions, memory: WebAssembly.Memory, arena: Arena, threads: number): Promise<Kernels> {
  if (opts.backend === 'scalar') return new ScalarKernels(memory);
  const kernels = await WasmKernels.create({ memory, arena, threads, prefer: opts.kernelVariant, fastMath: opts.fastMath });
  // The tuner's cached choice for this machine (tsllama tune), unless asked not to.
  if (opts.tune !== false) applyCachedTuning(machineKey(kernels.name, threads));
  else resetMatmulTuning();
  return kernels;
}

/**
 * Steps of up to SMALL_STEP_TOKENS tokens choose pool or calling thread by timing (on a tiny model
 * even a server's 4-stream decode step or a 10-token prefill chunk runs faster on one thread,
 * measured: 4 streams on stories260K with 2 threads gave 7.3–8.1K tokens/s pooled, 14.4–15.8K on
 * the calling thread); larger steps always use the pool, where a trial round's slow side would cost
 * whole prefills. Classes: 1, 2, 3, 4 tokens exactly (decode of 1–4 streams), then 5–8 and 9–16.
 */
const SMALL_STEP_TOKENS = 16;

/** The size class of a step of n tokens (the class's largest count), or 0 when it always uses the pool. */
export function smallStepClass(n: number): number {
  if (n < 1 || n > SMALL_STEP_TOKENS) return 0;
  return n <= 4 ? n : n <= 8 ? 8 : 16;
}
