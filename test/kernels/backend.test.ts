// WasmKernels / createKernels: backend choice and names, the Kernels interface wired to the WASM
// kernels (checked op by op against the scalar oracle on one shared memory), scratch reuse, and
// dispose() stopping every worker thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKernels, ScalarKernels, type Kernels } from '../../src/kernels/index.js';
import { WasmKernels } from '../../src/kernels/wasm/backend.js';
import { Arena, createSharedMemory, MemoryViews } from '../../src/runtime/memory.js';
import { relaxedSimdAvailable } from '../../src/runtime/kernel-module.js';
import { assertClose, randomF32 } from './ops-harness.js';

/** Worker threads alive in this process (the diagnostic report lists one entry per worker). */
function liveWorkers(): number {
  const report = process.report.getReport() as unknown as { workers: unknown[] };
  return report.workers.length;
}

function setup(): { memory: WebAssembly.Memory; arena: Arena; views: MemoryViews; put: (a: Float32Array) => number } {
  const memory = createSharedMemory(8 << 20);
  const arena = new Arena(memory);
  const views = new MemoryViews(memory);
  return { memory, arena, views, put: (a) => { const p = arena.alloc(a.length * 4); views.f32.set(a, p >> 2); return p; } };
}

test('createKernels picks the backend; WASM names its build', async () => {
  const { memory, arena } = setup();
  const scalar = await createKernels({ backend: 'scalar', memory, arena });
  assert.ok(scalar instanceof ScalarKernels);
  assert.equal(scalar.name, 'scalar');

  const plain = await createKernels({ memory, arena, threads: 1, prefer: 'simd' });
  assert.equal(plain.name, 'wasm-simd');
  await plain.dispose();
  if (relaxedSimdAvailable()) {
    const relaxed = await createKernels({ memory, arena, threads: 1, prefer: 'relaxed' });
    assert.equal(relaxed.name, 'wasm-relaxed');
    await relaxed.dispose();
  }
  await assert.rejects(createKernels({ backend: 'gpu' as 'wasm', memory, arena }), /unknown kernel backend 'gpu'/);
});

test('WasmKernels runs every op of the interface like the oracle (2 threads)', async () => {
  const { memory, arena, views, put } = setup();
  const wasm = await createKernels({ memory, arena, threads: 2 });
  const scalar = new ScalarKernels(memory);
  try {
    const [T, dim, H, Hkv, D, F] = [6, 64, 4, 2, 16, 96];
    const x = put(randomF32(1, T * dim, -2, 2));
    const outs = (n: number) => [arena.alloc(n * 4), arena.alloc(n * 4)] as const;
    const pair = (ptrs: readonly [number, number], n: number) => [views.f32.slice(ptrs[0] >> 2, (ptrs[0] >> 2) + n), views.f32.slice(ptrs[1] >> 2, (ptrs[1] >> 2) + n)] as const;
    const both = (f: (k: Kernels, i: 0 | 1) => void) => { f(wasm, 0); f(scalar, 1); };

    // matmul (f32 weights [F, dim]) through pack + matmul.
    const wSrc = put(randomF32(2, F * dim, -1, 1));
    const packed = [0, 1].map((i) => {
      const k = i === 0 ? wasm : scalar;
      const dst = arena.alloc(k.packedSize('f32', F, dim));
      return k.pack('f32', 'f32', wSrc, F, dim, dst);
    });
    const mm = outs(T * F);
    both((k, i) => k.matmul(packed[i], x, mm[i], T));
    assertClose(...pair(mm, T * F), { atol: 1e-5, rtol: 1e-5 }, 'matmul');

    const norm = outs(T * dim);
    const wNorm = put(randomF32(3, dim, 0.5, 1.5));
    both((k, i) => k.rmsnorm(x, wNorm, norm[i], T, dim, 1e-5));
    assertClose(...pair(norm, T * dim), { atol: 1e-7, rtol: 1e-6 }, 'rmsnorm');

    // q/k from x, roped; K/V stored as f32; attention over the batch at pos0 = 0.
    const q = put(randomF32(4, T * H * D, -2, 2));
    const kv = put(randomF32(5, T * Hkv * D, -2, 2));
    const qs = [put(views.f32.slice(q >> 2, (q >> 2) + T * H * D)), q];
    const pos = arena.alloc(T * 4);
    views.i32.set([0, 1, 2, 3, 4, 5], pos >> 2);
    both((k, i) => k.rope({ xPtr: qs[i], posPtr: pos, nTokens: T, nHeads: H, headDim: D, nRot: D, freqBase: 10000, freqScale: 1, neox: true, freqFactorsPtr: 0 }));
    assertClose(...pair([qs[0], qs[1]], T * H * D), { atol: 1e-6, rtol: 1e-6 }, 'rope');

    const caches = outs(T * Hkv * D);
    both((k, i) => k.kvStore(kv, T, Hkv * D, caches[i], 'f32', 0));
    assert.deepEqual(...pair(caches, T * Hkv * D), 'kvStore');
    const att = outs(T * H * D);
    both((k, i) => k.attention({
      qPtr: qs[i], kCachePtr: caches[i], vCachePtr: caches[i], outPtr: att[i], nTokens: T, pos0: 0,
      nHeads: H, nKvHeads: Hkv, headDim: D, kvType: 'f32', scale: 0.25, softcap: 0, window: 0,
    }));
    assertClose(...pair(att, T * H * D), { atol: 2e-6, rtol: 2e-5 }, 'attention');

    const act = outs(T * dim);
    both((k, i) => k.swiglu(x, norm[1], act[i], T * dim));
    assertClose(...pair(act, T * dim), { atol: 1e-7, rtol: 2e-6 }, 'swiglu');
    both((k, i) => k.geglu(x, norm[1], act[i], T * dim));
    assertClose(...pair(act, T * dim), { atol: 1e-6, rtol: 2e-6 }, 'geglu');
    both((k, i) => k.add(x, norm[1], act[i], T * dim));
    assert.deepEqual(...pair(act, T * dim), 'add');
    both((k, i) => k.addBias(act[i], wNorm, T, dim));
    assert.deepEqual(...pair(act, T * dim), 'addBias');
    both((k, i) => k.scale(act[i], T * dim, 0.5));
    assert.deepEqual(...pair(act, T * dim), 'scale');
    both((k, i) => k.softcap(act[i], T * dim, 3));
    assertClose(...pair(act, T * dim), { atol: 1e-6, rtol: 2e-6 }, 'softcap');
  } finally {
    await wasm.dispose();
  }
});

test('attention scratch is reused: repeated calls do not grow the arena', async () => {
  const { memory, arena, put } = setup();
  const k = await WasmKernels.create({ memory, arena, threads: 2 });
  try {
    const [T, H, D] = [20, 4, 8];
    const q = put(randomF32(1, T * H * D));
    const cache = put(randomF32(2, T * H * D));
    const out = arena.alloc(T * H * D * 4);
    const run = (nTokens: number) => k.attention({
      qPtr: q, kCachePtr: cache, vCachePtr: cache, outPtr: out, nTokens, pos0: T - nTokens,
      nHeads: H, nKvHeads: H, headDim: D, kvType: 'f32', scale: 1, softcap: 0, window: 0,
    });
    run(T);
    const used = arena.used;
    run(T);
    run(1);
    run(T);
    assert.equal(arena.used, used);
  } finally {
    await k.dispose();
  }
});

test('dispose() stops every worker thread', async () => {
  const before = liveWorkers();
  const { memory, arena } = setup();
  const k = await WasmKernels.create({ memory, arena, threads: 3 });
  assert.equal(k.threads, 3);
  assert.equal(liveWorkers(), before + 2);
  await k.dispose();
  assert.equal(liveWorkers(), before);
  // The memory is free for a new backend afterwards.
  const again = await WasmKernels.create({ memory, arena, threads: 2 });
  await again.dispose();
  assert.equal(liveWorkers(), before);
});
