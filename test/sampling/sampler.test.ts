import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../../src/sampling/sampler.js';
import { Rng } from '../../src/sampling/rng.js';
import type { TokenConstraint } from '../../src/sampling/params.js';

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

function frequencies(s: Sampler, logits: Float32Array, n: number): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[s.sample(logits, [])]!++;
  return counts.map((c) => c / n);
}

test('default is greedy argmax, ties to the lowest id, without touching the logits', () => {
  const logits = f32([0.1, 3, -2, 3]);
  assert.equal(new Sampler({}).sample(logits, []), 1);
  assert.equal(new Sampler({ temp: -1 }).sample(logits, []), 1);
  assert.deepEqual(logits, f32([0.1, 3, -2, 3]));
});

test('greedy sees penalties and bias, and leaves the caller\'s logits alone', () => {
  const logits = f32([0.5, 3, 2.9]);
  // 3 / 1.1 = 2.727 < 2.9
  assert.equal(new Sampler({ repeatPenalty: 1.1 }).sample(logits, [1]), 2);
  assert.equal(new Sampler({ logitBias: { 1: -Infinity } }).sample(logits, []), 2);
  assert.equal(new Sampler({ logitBias: { 0: 3 } }).sample(logits, []), 0); // 3.5
  assert.deepEqual(logits, f32([0.5, 3, 2.9]));
});

test('logit bias is applied before the penalties (llama.cpp chain order)', () => {
  // bias then penalty: (1 + 1) / 2 = 1.0 < 1.2 → id 1.  (penalty then bias would give 1.5 → id 0)
  const s = new Sampler({ logitBias: { 0: 1 }, repeatPenalty: 2 });
  assert.equal(s.sample(f32([1, 1.2]), [0]), 1);
});

test('every token banned → a clear error', () => {
  assert.throws(() => new Sampler({ logitBias: { 0: -Infinity, 1: -Infinity } }).sample(f32([1, 2]), []), /every token is banned/);
  assert.throws(() => new Sampler({ temp: 1, logitBias: { 0: -Infinity, 1: -Infinity } }).sample(f32([1, 2]), []), /every token is banned/);
  assert.throws(() => new Sampler({}).sample(f32([]), []), /empty logits/);
});

test('bad parameters are refused with the parameter named', () => {
  assert.throws(() => new Sampler({ topP: 1.5 }), /topP must be in \[0, 1\]/);
  assert.throws(() => new Sampler({ temp: NaN }), /temp must be a finite number/);
  assert.throws(() => new Sampler({ topK: 2.5 }), /topK must be an integer/);
  assert.throws(() => new Sampler({ logitBias: { 0: Infinity } }), /logitBias for token 0/);
});

class EvenOnly implements TokenConstraint {
  accepted: number[] = [];
  allowed(id: number): boolean { return id % 2 === 0; }
  accept(id: number): void { this.accepted.push(id); }
}

test('a constraint masks disallowed ids and is told the picked id (greedy and sampled)', () => {
  const logits = f32([1, 5, 3, 4]);
  const greedy = new Sampler({});
  const c = new EvenOnly();
  greedy.setConstraint(c);
  assert.equal(greedy.sample(logits, []), 2);
  assert.deepEqual(c.accepted, [2]);

  const sampled = new Sampler({ temp: 1, seed: 5 });
  const c2 = new EvenOnly();
  sampled.setConstraint(c2);
  for (let i = 0; i < 50; i++) assert.equal(sampled.sample(logits, []) % 2, 0);
  assert.equal(c2.accepted.length, 50);
  sampled.setConstraint(null);
  assert.ok(frequencies(sampled, logits, 200)[1]! > 0.3, 'without the constraint id 1 is the most likely');
});

test('the same seed reproduces the same tokens; reset() restarts the stream', () => {
  const r = new Rng(1);
  const logits = Float32Array.from({ length: 1000 }, () => r.next() * 4);
  const opts = { temp: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 1234 };
  const a = new Sampler(opts), b = new Sampler(opts);
  const run = (s: Sampler): number[] => Array.from({ length: 64 }, () => s.sample(logits, []));
  const first = run(a);
  assert.deepEqual(run(b), first);
  assert.ok(new Set(first).size > 1, 'temperature 0.8 over 40 candidates should vary');
  a.reset();
  assert.deepEqual(run(a), first);
  a.reset(99);
  assert.notDeepEqual(run(a), first);
  assert.equal(a.seed, 99);
});

test('sampled frequencies follow softmax(logits / temp)', () => {
  const lp = f32([0.5, 0.3, 0.2].map(Math.log));
  const f1 = frequencies(new Sampler({ temp: 1, seed: 11 }), lp, 20000);
  [0.5, 0.3, 0.2].forEach((p, i) => assert.ok(Math.abs(f1[i]! - p) < 0.015, `temp 1, id ${i}: ${f1[i]} vs ${p}`));
  // temp 0.5 squares the probabilities: [0.25, 0.09, 0.04] / 0.38
  const f2 = frequencies(new Sampler({ temp: 0.5, seed: 12 }), lp, 20000);
  [0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38].forEach((p, i) => assert.ok(Math.abs(f2[i]! - p) < 0.015, `temp 0.5, id ${i}: ${f2[i]} vs ${p}`));
});

test('top-k runs before top-p: top-p then sees the renormalized top-k mass', () => {
  // p = 0.5, 0.2, 0.15, 0.1, 0.05. Alone, top-p 0.65 keeps {0.5, 0.2}.
  // After top-k 2 the two renormalize to 0.714, 0.286, so top-p 0.65 keeps only the first.
  const lp = f32([0.5, 0.2, 0.15, 0.1, 0.05].map(Math.log));
  const alone = frequencies(new Sampler({ temp: 1, topP: 0.65, seed: 3 }), lp, 400);
  assert.ok(alone[0]! > 0.5 && alone[1]! > 0.15 && alone[2] === 0, `top-p alone: ${alone}`);
  const chained = frequencies(new Sampler({ temp: 1, topK: 2, topP: 0.65, seed: 3 }), lp, 400);
  assert.deepEqual(chained, [1, 0, 0, 0, 0]);
});

test('min-p and typical run inside the sampled chain', () => {
  const lp = f32([0.5, 0.2, 0.15, 0.1, 0.05].map(Math.log));
  const mp = frequencies(new Sampler({ temp: 1, minP: 0.35, seed: 4 }), lp, 400); // keeps p ≥ 0.175
  assert.ok(mp[0]! > 0 && mp[1]! > 0 && mp[2]! + mp[3]! + mp[4]! === 0, `min-p: ${mp}`);
  const typ = frequencies(new Sampler({ temp: 1, typicalP: 0.2, seed: 4 }), f32([0.6, 0.3, 0.1].map(Math.log)), 100);
  assert.deepEqual(typ, [0, 1, 0]); // the most typical token alone (see filters.test)
});

test('vocab-sized logits: top-k and greedy cost far less than a full sort', () => {
  const r = new Rng(9);
  const logits = Float32Array.from({ length: 150_000 }, () => r.next() * 20 - 10);
  const perCall = (f: () => void, n: number): number => {
    f(); // warm up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return (performance.now() - t0) / n;
  };
  const fullSort = perCall(() => { Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b); }, 3);
  const topK = new Sampler({ temp: 0.7, topK: 40, topP: 0.9, seed: 1 });
  const perTopK = perCall(() => topK.sample(logits, []), 30);
  const greedy = new Sampler({});
  const perGreedy = perCall(() => greedy.sample(logits, []), 30);
  // Ratios, not absolute times, so a loaded machine slows both sides alike.
  assert.ok(perTopK * 5 < fullSort, `top-k 40: ${perTopK.toFixed(2)} ms/token vs full sort ${fullSort.toFixed(1)} ms`);
  assert.ok(perGreedy * 20 < fullSort, `greedy: ${perGreedy.toFixed(2)} ms/token vs full sort ${fullSort.toFixed(1)} ms`);
});

test('vocab-sized top-p (no top-k) keeps the same set as a full-sort reference', () => {
  const r = new Rng(10);
  const logits = Float32Array.from({ length: 150_000 }, () => r.next() * 30 - 15);
  const p = 0.9;
  // Reference: full sort, cumulative ≥ p.
  const max = logits.reduce((m, l) => Math.max(m, l), -Infinity);
  const z = logits.reduce((s, l) => s + Math.exp(l - max), 0);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  let cum = 0, n = 0;
  while (cum < p) cum += Math.exp(logits[order[n++]!]! - max) / z;
  const allowed = new Set(order.slice(0, n));
  const s = new Sampler({ temp: 1, topP: p, seed: 2 });
  for (let i = 0; i < 30; i++) assert.ok(allowed.has(s.sample(logits, [])));
  assert.ok(n > 1000, `the case should keep many tokens across many buckets (kept ${n})`);
});
