// WasmKernels: the Kernels interface over the AssemblyScript kernels, threaded through the pool.
// Matmul/pack/embed live in matmul.ts, everything else in ops.ts; this class only wires them to
// one WasmContext (pool, memory views, arena scratch).
import type { Arena } from '../../runtime/memory.js';
import { tuneMatmul, type TuneOptions } from './tune.js';
import type { MatmulTuning } from './matmul.js';
import { MemoryViews } from '../../runtime/memory.js';
import { loadKernelModule } from '../../runtime/kernel-module.js';
import { WorkerPool } from '../../runtime/pool.js';
import type {
  AttentionParams, Kernels, KVType, PackedWeight, PackSource, RopeParams, SegmentAttentionParams, WeightFormat,
} from '../types.js';
import type { WasmContext } from './context.js';
import { embedWasm, matmulManyWasm, matmulWasm, packedSizeWasm, packWasm } from './matmul.js';
import {
  addBiasWasm, addWasm, attentionWasm, gegluWasm, storeAndAttendWasm, kvStoreWasm, rmsnormWasm, ropeWasm, scaleWasm, softcapWasm, swigluWasm, topKWasm,
} from './ops.js';

export interface WasmKernelsOptions {
  memory: WebAssembly.Memory;
  /** Scratch regions are carved from it (grow-only, reused between calls). */
  arena: Arena;
  /** Total threads, the calling thread included. */
  threads: number;
  /** 'simd' forces the plain SIMD128 build; otherwise relaxed SIMD when this Node supports it. */
  prefer?: 'simd' | 'relaxed';
  /** Let kernels reorder sums for speed (off: the default path stays token-exact). */
  fastMath?: boolean;
}

type ScratchSlot = 'act' | 'attn' | 'misc' | 'sample';

/** Grow-only scratch regions, one per slot. */
class ScratchRegions {
  private readonly regions = new Map<ScratchSlot, { ptr: number; bytes: number }>();
  constructor(private readonly arena: Arena) {}

  get(slot: ScratchSlot, bytes: number): number {
    const r = this.regions.get(slot);
    // Reuse unless too small, or the arena was released below it (the region may be handed out again).
    if (r && r.bytes >= bytes && this.arena.used >= r.ptr + r.bytes) return r.ptr;
    // Grow by at least half again, so a slowly growing context does not leak a region per token.
    const size = Math.max(bytes, r ? Math.ceil(r.bytes * 1.5) : 0, 4096);
    const ptr = this.arena.alloc(size, 64, `${slot} scratch`);
    this.regions.set(slot, { ptr, bytes: size });
    return ptr;
  }
}

export class WasmKernels implements Kernels {
  readonly name: 'wasm-simd' | 'wasm-relaxed';
  readonly memory: WebAssembly.Memory;
  private readonly ctx: WasmContext;

  private constructor(opts: WasmKernelsOptions, pool: WorkerPool, relaxed: boolean) {
    this.memory = opts.memory;
    this.name = relaxed ? 'wasm-relaxed' : 'wasm-simd';
    const scratch = new ScratchRegions(opts.arena);
    this.ctx = {
      pool,
      views: new MemoryViews(opts.memory),
      arena: opts.arena,
      relaxed,
      fastMath: opts.fastMath ?? false,
      scratch: (slot, bytes) => scratch.get(slot, bytes),
    };
  }

  /** Loads the kernel build, starts `threads - 1` workers over `memory`. */
  static async create(opts: WasmKernelsOptions): Promise<WasmKernels> {
    if (opts.arena.memory !== opts.memory) throw new Error('WasmKernels.create: the arena must allocate from the same memory');
    const km = loadKernelModule({ prefer: opts.prefer });
    const pool = await WorkerPool.create({ memory: opts.memory, kernels: km, threads: opts.threads });
    return new WasmKernels(opts, pool, km.variant === 'relaxed');
  }

  /** Threads the pool runs on (caller included). */
  /** Times kernel variants on this machine and applies the fastest (see tune.ts). */
  tune(opts: TuneOptions = {}): MatmulTuning {
    return tuneMatmul(this.ctx, opts);
  }

  burst(on: boolean): void {
    this.ctx.pool.setHot(on);
  }

  serial(on: boolean): void {
    this.ctx.pool.setSerial(on);
  }

  get threads(): number {
    return this.ctx.pool.threads;
  }

  packedSize(format: WeightFormat, rows: number, cols: number): number {
    return packedSizeWasm(format, rows, cols);
  }

  pack(format: WeightFormat, source: PackSource, srcPtr: number, rows: number, cols: number, dstPtr: number): PackedWeight {
    return packWasm(this.ctx, format, source, srcPtr, rows, cols, dstPtr);
  }

  matmul(w: PackedWeight, xPtr: number, yPtr: number, nTokens: number): void {
    matmulWasm(this.ctx, w, xPtr, yPtr, nTokens);
  }

  matmulMany(ws: readonly PackedWeight[], xPtr: number, yPtrs: readonly number[], nTokens: number): void {
    matmulManyWasm(this.ctx, ws, xPtr, yPtrs, nTokens);
  }

  embed(w: PackedWeight, idsPtr: number, nTokens: number, outPtr: number): void {
    embedWasm(this.ctx, w, idsPtr, nTokens, outPtr);
  }

  rmsnorm(xPtr: number, weightPtr: number, outPtr: number, nTokens: number, dim: number, eps: number): void {
    rmsnormWasm(this.ctx, xPtr, weightPtr, outPtr, nTokens, dim, eps);
  }

  rope(p: RopeParams): void {
    ropeWasm(this.ctx, p);
  }

  kvStore(srcPtr: number, nTokens: number, rowDim: number, cachePtr: number, kvType: KVType, row0: number): void {
    kvStoreWasm(this.ctx, srcPtr, nTokens, rowDim, cachePtr, kvType, row0);
  }

  attention(p: AttentionParams): void {
    attentionWasm(this.ctx, p);
  }

  storeAndAttend(p: SegmentAttentionParams): void {
    storeAndAttendWasm(this.ctx, p);
  }

  topK(scores: Float32Array, k: number, ids: Int32Array, logits: Float32Array): number {
    return topKWasm(this.ctx, scores, k, ids, logits);
  }

  swiglu(gatePtr: number, upPtr: number, outPtr: number, n: number): void {
    swigluWasm(this.ctx, gatePtr, upPtr, outPtr, n);
  }

  geglu(gatePtr: number, upPtr: number, outPtr: number, n: number): void {
    gegluWasm(this.ctx, gatePtr, upPtr, outPtr, n);
  }

  add(aPtr: number, bPtr: number, outPtr: number, n: number): void {
    addWasm(this.ctx, aPtr, bPtr, outPtr, n);
  }

  addBias(xPtr: number, biasPtr: number, nTokens: number, dim: number): void {
    addBiasWasm(this.ctx, xPtr, biasPtr, nTokens, dim);
  }

  scale(xPtr: number, n: number, s: number): void {
    scaleWasm(this.ctx, xPtr, n, s);
  }

  softcap(xPtr: number, n: number, cap: number): void {
    softcapWasm(this.ctx, xPtr, n, cap);
  }

  async dispose(): Promise<void> {
    await this.ctx.pool.dispose();
  }
}
