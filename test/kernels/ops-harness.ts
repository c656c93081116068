// Test harness for the WASM ops: a WasmContext over a fresh shared memory for each kernel build
// and thread count, the scalar oracle on the same memory, and helpers to move arrays in and out.
import { Arena, createSharedMemory, MemoryViews } from '../../src/runtime/memory.js';
import { loadKernelModule, relaxedSimdAvailable, type KernelVariant } from '../../src/runtime/kernel-module.js';
import { WorkerPool } from '../../src/runtime/pool.js';
import { ScalarKernels } from '../../src/kernels/scalar/index.js';
import type { WasmContext } from '../../src/kernels/wasm/context.js';

export interface OpsHarness {
  ctx: WasmContext;
  scalar: ScalarKernels;
  arena: Arena;
  views: MemoryViews;
  label: string;
  /** Copies `data` into fresh arena memory; returns its pointer. */
  putF32(data: ArrayLike<number>): number;
  putI32(data: ArrayLike<number>): number;
  putU16(data: ArrayLike<number>): number;
  /** A copy of n f32 at ptr. */
  getF32(ptr: number, n: number): Float32Array;
  getU16(ptr: number, n: number): Uint16Array;
}

/** Every (build, threads) configuration the ops are tested in. */
export function configurations(): Array<{ variant: KernelVariant; threads: number }> {
  const variants: KernelVariant[] = relaxedSimdAvailable() ? ['simd', 'relaxed'] : ['simd'];
  return variants.flatMap((variant) => [1, 2].map((threads) => ({ variant, threads })));
}

export async function withOps(variant: KernelVariant, threads: number, body: (h: OpsHarness) => void | Promise<void>): Promise<void> {
  const memory = createSharedMemory(16 << 20);
  const km = loadKernelModule({ prefer: variant });
  if (km.variant !== variant) throw new Error(`wanted the ${variant} kernel build, loaded ${km.variant}`);
  const pool = await WorkerPool.create({ memory, kernels: km, threads });
  const arena = new Arena(memory);
  const views = new MemoryViews(memory);
  const ctx: WasmContext = {
    pool, views, arena, relaxed: variant === 'relaxed', fastMath: false,
    // Fresh memory per call: simplest, and any read past the region shows up as a mismatch.
    scratch: (_slot, bytes) => arena.alloc(bytes),
  };
  const h: OpsHarness = {
    ctx, scalar: new ScalarKernels(memory), arena, views, label: `${variant}, ${threads} thread(s)`,
    putF32(data) { const p = arena.alloc(data.length * 4 + 16); views.f32.set(data, p >> 2); return p; },
    putI32(data) { const p = arena.alloc(data.length * 4 + 16); views.i32.set(data, p >> 2); return p; },
    putU16(data) { const p = arena.alloc(data.length * 2 + 16); views.u16.set(data, p >> 1); return p; },
    getF32(ptr, n) { return views.f32.slice(ptr >> 2, (ptr >> 2) + n); },
    getU16(ptr, n) { return views.u16.slice(ptr >> 1, (ptr >> 1) + n); },
  };
  try {
    await body(h);
  } finally {
    await pool.dispose();
  }
}

/** Seeded uniform floats in [lo, hi) (mulberry32). */
export function randomF32(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** Largest |a - b| / (atol/rtol scaled bound); throws a message naming the first offending index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const bound = tol.atol + tol.rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= bound)) {
      throw new Error(`${what}: index ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${bound})`);
    }
  }
}
