// WASM flash-style attention against the scalar oracle: decode (T = 1) and prefill with query
// tiles that do not divide T, pos0 0 and 11, GQA ratios 1/2/4, head dims 4/8/64, sliding
// window, soft-capping, f32 and f16 caches (on both of llama.cpp's paths: per-key and tiled),
// every kernel build at 1 and 2 threads; head dims off
// the 8/32-wide fast paths; bit-identical output however the pool splits the heads.
// Cache rows past the last position hold NaN: reading one would poison the output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32ToF16, roundToF16 } from '../../src/gguf/f16.js';
import type { AttentionParams, KVType } from '../../src/kernels/types.js';
import { usesTiledAttention } from '../../src/kernels/attention-path.js';
import { attentionWasm, setOpsTuning } from '../../src/kernels/wasm/ops.js';
import { assertClose, configurations, randomF32, withOps, type OpsHarness } from './ops-harness.js';

setOpsTuning({ inlineWork: 0 });

interface Case {
  nTokens: number;
  pos0: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  kvType: KVType;
  window: number;
  softcap: number;
}

/** Every T × pos0 × GQA ratio × D, with window / softcap / KV type rotating so each meets each. */
function cases(): Case[] {
  const out: Case[] = [];
  let k = 0;
  for (const nTokens of [1, 5, 70]) {
    for (const pos0 of [0, 11]) {
      for (const [nHeads, nKvHeads] of [[2, 2], [4, 2], [8, 2]]) {
        for (const headDim of [4, 8, 64]) {
          out.push({
            nTokens, pos0, nHeads, nKvHeads, headDim,
            kvType: k % 2 === 0 ? 'f16' : 'f32',
            window: [0, 0, 7, 40][(k >> 1) % 4],
            softcap: [0, 2.5, 0][k % 3],
          });
          k++;
        }
      }
    }
  }
  return out;
}

/** Writes a [C, Hkv, D] cache: rows < used random, rows ≥ used NaN. */
function putCache(h: OpsHarness, seed: number, rows: number, used: number, rowDim: number, kvType: KVType): number {
  const values = randomF32(seed, rows * rowDim, -2, 2);
  values.fill(NaN, used * rowDim);
  if (kvType === 'f32') return h.putF32(values);
  return h.putU16(Array.from(values, (v) => f32ToF16(v)));
}

/**
 * f16 accumulator vs the oracle's mirror of it: the same rounding steps, but a 1-ulp difference in
 * an exp or a dot product (f32 SIMD vs f64) can flip one f16 rounding of the accumulator, which
 * then shows as ~1 f16 ulp (≤ 2e-3 for |v| ≤ 2) in that output. Nearly all outputs agree to 1e-5.
 */
function assertHalfAccumulatorClose(got: Float32Array, want: Float32Array, what: string): void {
  assertClose(got, want, { atol: 4e-3, rtol: 0 }, what);
  let tight = 0;
  for (let i = 0; i < got.length; i++) if (Math.abs(got[i] - want[i]) <= 1e-5) tight++;
  assert.ok(tight >= 0.98 * got.length, `${what}: only ${tight} of ${got.length} outputs within 1e-5 of the oracle`);
}

/** Allocates q and both caches for a case; returns the params (outPtr fresh) and the f32 copies of the caches. */
function setupCase(h: OpsHarness, c: Case, seed: number): { p: AttentionParams; kF32: number; vF32: number } {
  const { nTokens: T, nHeads: H, nKvHeads: Hkv, headDim: D } = c;
  const used = c.pos0 + T;
  const rows = used + 3;
  const kVals = cacheValues(seed + 1, rows, used, Hkv * D, c.kvType);
  const vVals = cacheValues(seed + 2, rows, used, Hkv * D, c.kvType);
  const p: AttentionParams = {
    qPtr: h.putF32(randomF32(seed, T * H * D, -2, 2)),
    kCachePtr: c.kvType === 'f32' ? h.putF32(kVals) : h.putU16(Array.from(kVals, (x) => f32ToF16(x))),
    vCachePtr: c.kvType === 'f32' ? h.putF32(vVals) : h.putU16(Array.from(vVals, (x) => f32ToF16(x))),
    outPtr: h.arena.alloc(T * H * D * 4),
    nTokens: T, pos0: c.pos0, nHeads: H, nKvHeads: Hkv, headDim: D, kvType: c.kvType,
    scale: 1 / Math.sqrt(D), softcap: c.softcap, window: c.window,
  };
  return { p, kF32: h.putF32(kVals), vF32: h.putF32(vVals) };
}

/** Cache values [C, Hkv·D]: rows < used random (f16-exact for an f16 cache), rows ≥ used NaN. */
function cacheValues(seed: number, rows: number, used: number, rowDim: number, kvType: KVType): Float32Array {
  const values = randomF32(seed, rows * rowDim, -2, 2);
  if (kvType === 'f16') values.forEach((x, i) => { values[i] = roundToF16(x); });
  values.fill(NaN, used * rowDim);
  return values;
}

function runCase(h: OpsHarness, c: Case, seed: number): void {
  const { p, kF32, vF32 } = setupCase(h, c, seed);
  const n = c.nTokens * c.nHeads * c.headDim;
  const what = `${JSON.stringify(c)} (${h.label})`;
  const want = h.arena.alloc(n * 4);
  attentionWasm(h.ctx, p);
  h.scalar.attention({ ...p, outPtr: want });
  if (c.kvType === 'f32') {
    assertClose(h.getF32(p.outPtr, n), h.getF32(want, n), { atol: 2e-6, rtol: 2e-5 }, what);
    return;
  }
  if (usesTiledAttention(c.nTokens, c.headDim)) {
    // llama.cpp's tiled path: f32 accumulator, so the oracle's mirror agrees to f32 rounding
    assertClose(h.getF32(p.outPtr, n), h.getF32(want, n), { atol: 2e-6, rtol: 2e-5 }, `${what} tiled`);
  } else {
    assertHalfAccumulatorClose(h.getF32(p.outPtr, n), h.getF32(want, n), what);
  }
  // Fast math accumulates in f32: it must match exact attention over the same (f16) K/V values.
  const fast = h.arena.alloc(n * 4);
  attentionWasm({ ...h.ctx, fastMath: true }, { ...p, outPtr: fast });
  h.scalar.attention({ ...p, kvType: 'f32', kCachePtr: kF32, vCachePtr: vF32, outPtr: want });
  assertClose(h.getF32(fast, n), h.getF32(want, n), { atol: 2e-6, rtol: 2e-5 }, `${what} fast math`);
}

for (const { variant, threads } of configurations()) {
  test(`attention matches the oracle over shapes, GQA, window, softcap, KV types (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      cases().forEach((c, i) => {
        const mark = h.arena.mark();
        runCase(h, c, 1000 * i + 1);
        h.arena.release(mark);
      });
    });
  });
}

test('attention over a long context: many key tiles, window crossing tile edges', async () => {
  await withOps('simd', 2, (h) => {
    for (const c of [
      { nTokens: 1, pos0: 300, nHeads: 4, nKvHeads: 1, headDim: 64, kvType: 'f16', window: 0, softcap: 0 },
      { nTokens: 33, pos0: 150, nHeads: 4, nKvHeads: 2, headDim: 8, kvType: 'f32', window: 100, softcap: 0 },
      { nTokens: 40, pos0: 0, nHeads: 2, nKvHeads: 2, headDim: 16, kvType: 'f16', window: 65, softcap: 1 },
      // tiled path: key tiles crossed mid-batch, an odd query count (the last query unpaired)
      { nTokens: 101, pos0: 150, nHeads: 9, nKvHeads: 3, headDim: 64, kvType: 'f16', window: 0, softcap: 0 },
      { nTokens: 64, pos0: 3, nHeads: 4, nKvHeads: 4, headDim: 32, kvType: 'f16', window: 0, softcap: 2 },
      { nTokens: 66, pos0: 0, nHeads: 2, nKvHeads: 1, headDim: 20, kvType: 'f16', window: 0, softcap: 0 }, // per-key path: D % 16 ≠ 0
      { nTokens: 77, pos0: 30, nHeads: 4, nKvHeads: 2, headDim: 16, kvType: 'f16', window: 50, softcap: 0 },
    ] satisfies Case[]) {
      runCase(h, c, 7);
    }
  });
});

test('attention over head dims that are not a multiple of 8 or 32, GQA group of 3, many 8-key blocks', async () => {
  await withOps('simd', 2, (h) => {
    for (const c of [
      { nTokens: 1, pos0: 158, nHeads: 9, nKvHeads: 3, headDim: 64, kvType: 'f16', window: 0, softcap: 0 },
      { nTokens: 19, pos0: 45, nHeads: 9, nKvHeads: 3, headDim: 12, kvType: 'f16', window: 0, softcap: 0 },
      { nTokens: 3, pos0: 70, nHeads: 6, nKvHeads: 2, headDim: 80, kvType: 'f16', window: 29, softcap: 0 },
      { nTokens: 17, pos0: 5, nHeads: 3, nKvHeads: 1, headDim: 20, kvType: 'f16', window: 13, softcap: 3 },
      { nTokens: 2, pos0: 90, nHeads: 6, nKvHeads: 3, headDim: 36, kvType: 'f32', window: 0, softcap: 0 },
      // f16 accumulator, small heads of a GQA group of 3: one head pair interleaved, one head alone
      { nTokens: 3, pos0: 61, nHeads: 9, nKvHeads: 3, headDim: 16, kvType: 'f16', window: 0, softcap: 0 },
      { nTokens: 1, pos0: 33, nHeads: 6, nKvHeads: 2, headDim: 8, kvType: 'f16', window: 20, softcap: 0 },
      // f32 cache, GQA group of 3: a head pair scored and accumulated together, one head alone;
      // key counts with and without a remainder of 4, a 4-dim tail (D = 12), a window, a soft cap
      { nTokens: 1, pos0: 158, nHeads: 9, nKvHeads: 3, headDim: 64, kvType: 'f32', window: 0, softcap: 0 },
      { nTokens: 3, pos0: 70, nHeads: 6, nKvHeads: 2, headDim: 80, kvType: 'f32', window: 29, softcap: 0 },
      { nTokens: 1, pos0: 6, nHeads: 3, nKvHeads: 1, headDim: 12, kvType: 'f32', window: 0, softcap: 3 },
    ] satisfies Case[]) {
      runCase(h, c, 11);
    }
  });
});

test('attention output does not depend on how the pool splits the heads (bit-identical at 1, 2 and 3 threads)', async () => {
  const cases: Case[] = [
    { nTokens: 1, pos0: 200, nHeads: 9, nKvHeads: 3, headDim: 64, kvType: 'f16', window: 0, softcap: 0 },
    { nTokens: 37, pos0: 20, nHeads: 9, nKvHeads: 3, headDim: 64, kvType: 'f16', window: 0, softcap: 0 },
    { nTokens: 5, pos0: 9, nHeads: 4, nKvHeads: 2, headDim: 16, kvType: 'f32', window: 6, softcap: 0 },
    // f32 cache, heads scored and accumulated in pairs: a thread's range may cut a pair, which must not matter
    { nTokens: 1, pos0: 130, nHeads: 9, nKvHeads: 3, headDim: 64, kvType: 'f32', window: 0, softcap: 0 },
    // paired f16 accumulators (D < 32): a thread's range may cut a head pair, which must not matter
    { nTokens: 2, pos0: 40, nHeads: 6, nKvHeads: 2, headDim: 8, kvType: 'f16', window: 0, softcap: 0 },
  ];
  const outputs: Float32Array[][] = [];
  for (const threads of [1, 2, 3]) {
    await withOps('simd', threads, (h) => {
      outputs.push(cases.map((c) => {
        const { p } = setupCase(h, c, 5);
        attentionWasm(h.ctx, p);
        return h.getF32(p.outPtr, c.nTokens * c.nHeads * c.headDim);
      }));
    });
  }
  cases.forEach((c, i) => {
    for (const k of [1, 2]) assert.deepEqual(outputs[k][i], outputs[0][i], `${JSON.stringify(c)}: ${k + 1} threads vs 1`);
  });
});

test('attention rejects bad shapes with a message naming the problem', async () => {
  await withOps('simd', 1, (h) => {
    const p: AttentionParams = {
      qPtr: 0, kCachePtr: 0, vCachePtr: 0, outPtr: 0, nTokens: 1, pos0: 0, nHeads: 3, nKvHeads: 2, headDim: 8,
      kvType: 'f16', scale: 1, softcap: 0, window: 0,
    };
    assert.throws(() => attentionWasm(h.ctx, p), /nHeads \(3\) must be a multiple of nKvHeads \(2\)/);
    assert.throws(() => attentionWasm(h.ctx, { ...p, nHeads: 2, headDim: 6 }), /headDim must be a positive multiple of 4, got 6/);
  });
});
