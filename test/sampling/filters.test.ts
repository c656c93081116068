import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Candidates } from '../../src/sampling/candidates.js';
import { applyMinP, applyTemperature, applyTopK, applyTopP, applyTypical, drawFromDistribution } from '../../src/sampling/filters.js';
import { Rng } from '../../src/sampling/rng.js';
import { topKBoundGuess } from '../../src/sampling/top-k-bound.js';

function cands(logits: number[]): Candidates {
  const c = new Candidates();
  c.fill(Float32Array.from(logits));
  return c;
}
const ids = (c: Candidates): number[] => Array.from(c.ids.subarray(0, c.size));

// Probabilities 0.5, 0.2, 0.15, 0.1, 0.05 given to ids 3, 0, 4, 1, 2 (logits are their natural logs).
const P = [0.2, 0.1, 0.05, 0.5, 0.15];
const lnP = P.map(Math.log);

test('fill drops banned (-Infinity) and NaN ids', () => {
  assert.deepEqual(ids(cands([1, -Infinity, NaN, 2])), [0, 3]);
});

test('top-k keeps the k highest, best first, ties to the lowest id', () => {
  const c = cands([1, 5, 3, 5, 2]);
  applyTopK(c, 3);
  assert.deepEqual(ids(c), [1, 3, 2]);
  assert.equal(c.sorted, true);
  const all = cands([1, 5, 3]);
  applyTopK(all, 0);
  assert.equal(all.size, 3, 'k = 0 disables');
});

test('partial selection agrees with a full sort on random logits with ties', () => {
  const r = new Rng(3);
  const logits = Array.from({ length: 5000 }, () => Math.round(r.next() * 200) / 10); // many ties
  const reference = logits.map((l, id) => ({ l, id })).sort((a, b) => b.l - a.l || a.id - b.id).map((e) => e.id);
  for (const k of [1, 7, 64, 4999, 5000]) {
    const c = cands(logits);
    applyTopK(c, k);
    assert.deepEqual(ids(c), k >= 5000 ? ids(cands(logits)) : reference.slice(0, k), `k=${k}`);
    assert.deepEqual(Array.from(cands(logits).topPositions(k)), reference.slice(0, k), `topPositions k=${k}`);
  }
});

test('fillTop (top-k straight from the scores) equals fill + top-k, with ties, NaN and banned ids', () => {
  const r = new Rng(5);
  const logits = Float32Array.from({ length: 3000 }, () => {
    const u = r.next();
    return u < 0.05 ? -Infinity : u < 0.08 ? NaN : Math.round(r.next() * 100) / 10;
  });
  const allowed = logits.filter((l) => l > -Infinity).length;
  for (const k of [1, 2, 40, 777, allowed - 1, allowed, allowed + 5, 3000]) {
    const want = new Candidates();
    want.fill(logits);
    want.keepTop(Math.min(k, want.size));
    const got = new Candidates();
    got.fillTop(logits, k);
    assert.deepEqual(ids(got), ids(want), `k=${k}`);
    assert.deepEqual(Array.from(got.logits.subarray(0, got.size)), Array.from(want.logits.subarray(0, want.size)), `k=${k} logits`);
    assert.equal(got.sorted, true);
  }
});

test('fillTop equals fill + top-k on shapes that stress its lower bound (sorted, flat, mostly banned, tiny)', () => {
  const r = new Rng(11);
  const shapes: Record<string, Float32Array> = {
    ascending: Float32Array.from({ length: 512 }, (_, i) => i / 10),
    descending: Float32Array.from({ length: 512 }, (_, i) => -i / 10),
    flat: new Float32Array(700).fill(1.5),
    twoLevels: Float32Array.from({ length: 999 }, (_, i) => (i % 97 === 0 ? 3 : 1)),
    mostlyBanned: Float32Array.from({ length: 4096 }, (_, i) => (i % 301 === 0 ? r.next() : -Infinity)),
    nanAndBanned: Float32Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? NaN : i % 3 === 1 ? -Infinity : r.next())),
    tiny: Float32Array.from([0.5, -Infinity, 2, 2, NaN]),
    wide: Float32Array.from({ length: 49152 }, () => Math.round(r.next() * 3000) / 100),
  };
  for (const [name, logits] of Object.entries(shapes)) {
    for (const k of [1, 3, 40, 100, logits.length]) {
      if (k > logits.length) continue;
      const want = new Candidates();
      want.fill(logits);
      want.keepTop(Math.min(k, want.size));
      const got = new Candidates();
      got.fillTop(logits, k);
      assert.deepEqual(ids(got), ids(want), `${name} k=${k}`);
    }
  }
});

test('topKBoundGuess: at least k allowed logits pass it, and not many more on spread logits', () => {
  const r = new Rng(12);
  const passing = (logits: Float32Array, m: number): number => logits.filter((v) => v >= m).length;
  for (const n of [1, 7, 100, 512, 5000]) {
    const logits = Float32Array.from({ length: n }, () => (r.next() < 0.1 ? -Infinity : Math.round(r.next() * 50)));
    const allowed = logits.filter((v) => v > -Infinity).length;
    for (const k of [1, 2, 40, n]) {
      if (k > n) continue;
      const guess = topKBoundGuess(logits, k);
      if (allowed >= k) assert.ok(passing(logits, guess) >= k, `n=${n} k=${k}: only ${passing(logits, guess)} pass ${guess}`);
      else assert.equal(guess, -Infinity, `n=${n} k=${k}: fewer than k allowed`);
    }
  }
  // distinct logits: the guess lets through about k, which is what makes fillTop cheap
  for (const n of [512, 8192]) {
    const logits = Float32Array.from({ length: n }, () => r.next() * 20 - 10);
    const through = passing(logits, topKBoundGuess(logits, 40));
    assert.ok(through >= 40 && through <= 80 + n / 64, `n=${n}: ${through} tokens pass the guess for k=40`);
  }
  assert.equal(topKBoundGuess(Float32Array.from([NaN, -Infinity]), 1), -Infinity);
  assert.equal(topKBoundGuess(Float32Array.from([2, NaN, 2]), 2), 2);
});

test('top-p keeps the smallest set with cumulative probability ≥ p, at least one', () => {
  const keep = (p: number): number[] => { const c = cands(lnP); applyTopP(c, p); return ids(c).sort(); };
  assert.deepEqual(keep(0.6), [0, 3]);        // 0.5 < 0.6 ≤ 0.7 (ids sorted for comparison)
  assert.deepEqual(keep(0.84), [0, 3, 4]);    // 0.7 < 0.84 ≤ 0.85
  assert.deepEqual(keep(0.1), [3]);
  assert.deepEqual(keep(0), [3]);
  assert.deepEqual(keep(1), [0, 1, 2, 3, 4]); // disabled: untouched, id order
});

test('top-p on a flat distribution breaks ties by lowest id', () => {
  const c = cands(new Array(1000).fill(0)); // each p = 0.001
  applyTopP(c, 0.5005);                     // 500 → 0.5 < 0.5005 ≤ 0.501 → 501 tokens
  assert.deepEqual(ids(c).sort((a, b) => a - b), Array.from({ length: 501 }, (_, i) => i));
});

test('top-p after top-k (sorted set) walks the ranking directly', () => {
  const c = cands(lnP);
  applyTopK(c, 4);                          // 0.5, 0.2, 0.15, 0.1 → renormalized over 0.95
  applyTopP(c, 0.75);                       // 0.5/0.95 = 0.526, 0.7/0.95 = 0.737, 0.85/0.95 = 0.895
  assert.deepEqual(ids(c), [3, 0, 4]);
});

test('min-p keeps tokens with p ≥ minP · p_max', () => {
  const keep = (m: number): number[] => { const c = cands(lnP); applyMinP(c, m); return ids(c).sort(); };
  assert.deepEqual(keep(0.25), [0, 3, 4]); // threshold 0.125: keeps 0.5, 0.2, 0.15
  assert.deepEqual(keep(0.35), [0, 3]);    // threshold 0.175
  assert.deepEqual(keep(1), [3]);
  assert.deepEqual(keep(0), [0, 1, 2, 3, 4]);
});

test('typical keeps the tokens closest to the entropy until the mass exceeds p', () => {
  // p = [0.6, 0.3, 0.1]: H = 0.8979; |−ln p − H| = 0.3871, 0.3061, 1.4046 → ranking id1, id0, id2
  const lp = [0.6, 0.3, 0.1].map(Math.log);
  const keep = (p: number): number[] => { const c = cands(lp); applyTypical(c, p); return ids(c); };
  assert.deepEqual(keep(0.2), [1]);       // 0.3 > 0.2
  assert.deepEqual(keep(0.5), [1, 0]);    // 0.3, then 0.9 > 0.5
  assert.deepEqual(keep(0.95), [1, 0, 2]);
  assert.deepEqual(keep(1), [0, 1, 2]);   // disabled
});

test('temperature divides the logits', () => {
  const c = cands([2, 4, -1]);
  applyTemperature(c, 2);
  assert.deepEqual(Array.from(c.logits.subarray(0, c.size)), [1, 2, -0.5]);
  assert.throws(() => applyTemperature(c, 0), /temp > 0/);
});

test('draw picks the first candidate whose cumulative probability exceeds u', () => {
  const c = cands(lnP);
  c.keepTop(5); // sorted: ids 3 (0.5), 0 (0.2), 4 (0.15), 1 (0.1), 2 (0.05)
  const at = (u: number): number => drawFromDistribution(c, { next: () => u });
  assert.equal(at(0), 3);
  assert.equal(at(0.49), 3);
  assert.equal(at(0.6), 0);   // 0.5 ≤ 0.6 < 0.7
  assert.equal(at(0.8), 4);   // 0.7 ≤ 0.8 < 0.85
  assert.equal(at(0.9), 1);   // 0.85 ≤ 0.9 < 0.95
  assert.equal(at(0.999), 2);
});
