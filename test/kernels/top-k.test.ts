// The WASM top-k kernel (Kernels.topK, used by the sampler) against its JS oracle
// Candidates.fill + keepTop: the same ids in the same order (logit descending, ties to the lower
// id) and the same logits, on shapes that stress its histogram bound — random, sorted either way,
// flat, two levels, ties at the cut, mostly banned, NaN, ±Infinity, huge magnitudes, sizes that are
// not whole vectors — with k = 1, small, 40, and the whole vocabulary, in every kernel build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topKWasm } from '../../src/kernels/wasm/ops.js';
import { Candidates } from '../../src/sampling/candidates.js';
import { Sampler } from '../../src/sampling/sampler.js';
import { configurations, randomF32, withOps } from './ops-harness.js';

function oracle(scores: Float32Array, k: number): { ids: number[]; logits: number[] } {
  const c = new Candidates();
  c.fill(scores);
  c.keepTop(Math.min(k, c.size));
  return { ids: Array.from(c.ids.subarray(0, c.size)), logits: Array.from(c.logits.subarray(0, c.size)) };
}

function shapes(): Record<string, Float32Array> {
  const r = randomF32(7, 5000, -10, 10);
  return {
    random512: randomF32(1, 512, -8, 8),
    random7: randomF32(2, 7, -1, 1),
    random4099: randomF32(3, 4099, -20, 20),
    ascending: Float32Array.from({ length: 515 }, (_, i) => i / 10),
    descending: Float32Array.from({ length: 513 }, (_, i) => -i / 10),
    flat: new Float32Array(700).fill(1.5),
    twoLevels: Float32Array.from({ length: 999 }, (_, i) => (i % 97 === 0 ? 3 : 1)),
    tiesAtCut: Float32Array.from({ length: 600 }, (_, i) => Math.round(r[i]!)), // 21 distinct values
    mostlyBanned: Float32Array.from({ length: 4096 }, (_, i) => (i % 301 === 0 ? r[i]! : -Infinity)),
    nanAndBanned: Float32Array.from({ length: 301 }, (_, i) => (i % 3 === 0 ? NaN : i % 3 === 1 ? -Infinity : r[i]!)),
    allBanned: new Float32Array(33).fill(-Infinity),
    withPosInf: Float32Array.from({ length: 100 }, (_, i) => (i === 17 || i === 60 ? Infinity : r[i]!)),
    huge: Float32Array.from({ length: 257 }, (_, i) => (i % 2 ? 3e38 : -3e38) * r[i]! / 10),
    tiny: Float32Array.from([0.5, -Infinity, 2, 2, NaN]),
    one: Float32Array.from([-4]),
  };
}

for (const { variant, threads } of configurations().filter((c) => c.threads === 1)) {
  test(`topK equals the JS top-k on every shape (${variant})`, async () => {
    await withOps(variant, threads, (h) => {
      for (const [name, scores] of Object.entries(shapes())) {
        for (const k of [1, 3, 40, 100, scores.length]) {
          if (k > scores.length) continue;
          const mark = h.arena.mark();
          const ids = new Int32Array(k);
          const logits = new Float32Array(k);
          const m = topKWasm(h.ctx, scores, k, ids, logits);
          const want = oracle(scores, k);
          assert.equal(m, want.ids.length, `${name} k=${k}: count`);
          assert.deepEqual(Array.from(ids.subarray(0, m)), want.ids, `${name} k=${k}: ids`);
          assert.deepEqual(Array.from(logits.subarray(0, m)), want.logits, `${name} k=${k}: logits`);
          h.arena.release(mark);
        }
      }
    });
  });
}

test('a Sampler given the kernels draws the same tokens as one without', async () => {
  await withOps('simd', 1, (h) => {
    const kernels = { topK: (s: Float32Array, k: number, ids: Int32Array, l: Float32Array) => topKWasm(h.ctx, s, k, ids, l) };
    const params = { temp: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 5 };
    const withKernel = new Sampler(params);
    const plain = new Sampler(params);
    const got: number[] = [];
    const want: number[] = [];
    for (let step = 0; step < 200; step++) {
      const logits = randomF32(100 + step, 512, -6, 6);
      got.push(withKernel.sample(logits, got, kernels));
      want.push(plain.sample(logits, want));
    }
    assert.deepEqual(got, want);
    assert.ok(new Set(got).size > 20, 'the draws vary');
  });
});

test('topK rejects output arrays shorter than k', async () => {
  await withOps('simd', 1, (h) => {
    assert.throws(() => topKWasm(h.ctx, new Float32Array(10), 5, new Int32Array(4), new Float32Array(5)), /output arrays hold 4 entries, need 5/);
  });
});
