// Shared setup for the matmul tests and benchmark: a WasmContext over a fresh shared memory with a
// worker pool of the requested kernel build and thread count, plus seeded random data helpers.
import { f32ToF16 } from '../../src/gguf/f16.js';
import type { WasmContext } from '../../src/kernels/wasm/context.js';
import { loadKernelModule, relaxedSimdAvailable, type KernelModule, type KernelVariant } from '../../src/runtime/kernel-module.js';
import { Arena, MemoryViews, createSharedMemory } from '../../src/runtime/memory.js';
import { WorkerPool } from '../../src/runtime/pool.js';

export interface MatmulFixture {
  ctx: WasmContext;
  memory: WebAssembly.Memory;
  arena: Arena;
  views: MemoryViews;
  dispose(): Promise<void>;
}

/** The kernel builds this Node can run: always 'simd', plus 'relaxed' when V8 supports it. */
export function availableVariants(): KernelVariant[] {
  return relaxedSimdAvailable() ? ['simd', 'relaxed'] : ['simd'];
}

/** `kernels`: a module to run instead of the repo's build of `variant` (the benchmark's A/B mode). */
export async function createMatmulFixture(
  variant: KernelVariant, threads: number, initialBytes = 16 << 20, kernels?: KernelModule,
): Promise<MatmulFixture> {
  const memory = createSharedMemory(initialBytes);
  const arena = new Arena(memory);
  const views = new MemoryViews(memory);
  const km = kernels ?? loadKernelModule({ prefer: variant });
  if (km.variant !== variant) throw new Error(`asked for the ${variant} kernel build, got ${km.variant}`);
  const pool = await WorkerPool.create({ memory, kernels: km, threads });
  const regions = new Map<string, { ptr: number; bytes: number }>();
  const ctx: WasmContext = {
    pool,
    views,
    arena,
    relaxed: variant === 'relaxed',
    fastMath: false,
    scratch(slot, bytes) {
      const r = regions.get(slot);
      if (r && r.bytes >= bytes) return r.ptr;
      const ptr = arena.alloc(bytes, 64, `${slot} scratch`);
      regions.set(slot, { ptr, bytes });
      return ptr;
    },
  };
  return { ctx, memory, arena, views, dispose: () => pool.dispose() };
}

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [-scale, scale). */
export function randomF32(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** Random GGUF Q8_0 blocks (rows × cols/32 × 34 bytes); `minus128` plants -128 quants. */
export function randomQ8_0(rand: () => number, rows: number, cols: number, minus128 = false): Uint8Array {
  const nb = (rows * cols) / 32;
  const out = new Uint8Array(nb * 34);
  for (let b = 0; b < nb; b++) {
    const h = f32ToF16(0.001 + rand() * 0.02);
    out[b * 34] = h & 0xff;
    out[b * 34 + 1] = h >> 8;
    for (let j = 0; j < 32; j++) out[b * 34 + 2 + j] = (minus128 && rand() < 0.1 ? -128 : Math.floor(rand() * 255) - 127) & 0xff;
  }
  return out;
}

/** Random GGUF Q4_0 blocks (rows × cols/32 × 18 bytes). */
export function randomQ4_0(rand: () => number, rows: number, cols: number): Uint8Array {
  const nb = (rows * cols) / 32;
  const out = new Uint8Array(nb * 18);
  for (let b = 0; b < nb; b++) {
    const h = f32ToF16(-(0.001 + rand() * 0.02));
    out[b * 18] = h & 0xff;
    out[b * 18 + 1] = h >> 8;
    for (let j = 0; j < 16; j++) out[b * 18 + 2 + j] = Math.floor(rand() * 256);
  }
  return out;
}

/** Copies bytes into fresh arena memory, returning the pointer. */
export function put(f: MatmulFixture, data: ArrayBufferView): number {
  const ptr = f.arena.alloc(data.byteLength, 64);
  f.views.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ptr);
  return ptr;
}
