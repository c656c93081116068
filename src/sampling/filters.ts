// The truncation samplers and temperature, applied to a Candidates set in llama.cpp's chain order:
// top-k → typical → top-p → min-p → temperature. Each keeps at least one token.
import type { Candidates } from './candidates.js';

/** Keeps the k highest logits (partial selection, no full sort). k ≤ 0 or k ≥ size: no-op. */
export function applyTopK(c: Candidates, k: number): void {
  if (k <= 0 || k >= c.size) return;
  c.keepTop(k);
}

/**
 * Locally typical sampling (Meister et al.), as llama.cpp: with entropy H = -Σ p·ln p, rank tokens by
 * |−ln p − H| (closest to the "expected surprise" first) and keep the shortest prefix of that ranking
 * whose cumulative probability is strictly greater than p. Leaves the set unsorted. p ≥ 1: no-op.
 */
export function applyTypical(c: Candidates, p: number): void {
  if (p >= 1 || c.size <= 1) return;
  const probs = c.probabilities();
  let entropy = 0;
  for (let i = 0; i < c.size; i++) {
    const q = probs[i]!;
    if (q > 0) entropy -= q * Math.log(q);
  }
  const shifted = new Float64Array(c.size);
  for (let i = 0; i < c.size; i++) shifted[i] = Math.abs(-Math.log(probs[i]!) - entropy);
  const order = Array.from({ length: c.size }, (_, i) => i);
  order.sort((a, b) => shifted[a]! - shifted[b]! || c.ids[a]! - c.ids[b]!);
  let cum = 0;
  let keep = order.length;
  for (let i = 0; i < order.length; i++) {
    cum += probs[order[i]!]!;
    if (cum > p) { keep = i + 1; break; }
  }
  c.keep(order, keep, false);
}

/**
 * Nucleus sampling: keeps the smallest set of most-likely tokens whose cumulative probability is
 * ≥ p (at least one). p ≥ 1: no-op.
 * An already sorted set (after top-k) is walked directly. Otherwise, to avoid sorting the whole
 * vocabulary, probability mass is histogrammed by logit (bucket 0 = the top TOP_P_RANGE/TOP_P_BUCKETS
 * logit units below the max, ...; buckets are monotone in logit). Buckets above the one where the
 * cumulative mass reaches p are kept whole; only that boundary bucket is sorted and walked.
 * The kept set is then in no particular order.
 */
export function applyTopP(c: Candidates, p: number): void {
  if (p >= 1 || c.size <= 1) return;
  const max = c.maxLogit();
  if (c.sorted) {
    const w = c.exps(max);
    let z = 0;
    for (let i = 0; i < c.size; i++) z += w[i]!;
    let cum = 0;
    for (let i = 0; i < c.size; i++) {
      cum += w[i]! / z;
      if (cum >= p) { c.size = i + 1; return; }
    }
    return; // rounding left the total just below p: keep everything
  }

  const weight = new Float64Array(c.size);  // [size] exp(logit - max), unnormalized
  const bucketOf = new Uint16Array(c.size); // [size]
  const mass = new Float64Array(TOP_P_BUCKETS);
  const scale = TOP_P_BUCKETS / TOP_P_RANGE;
  let z = 0;
  for (let i = 0; i < c.size; i++) {
    const l = c.logits[i]!;
    const w = Math.exp(l - max);
    const b = Math.min(TOP_P_BUCKETS - 1, Math.floor((max - l) * scale));
    weight[i] = w;
    bucketOf[i] = b;
    mass[b] = mass[b]! + w;
    z += w;
  }
  p *= z; // compare unnormalized mass against p · z
  let boundary = 0;
  let cumAbove = 0; // mass of the buckets above the boundary
  while (boundary < TOP_P_BUCKETS - 1 && cumAbove + mass[boundary]! < p) cumAbove += mass[boundary++]!;

  const kept: number[] = [];
  const inBoundary: number[] = [];
  for (let i = 0; i < c.size; i++) {
    if (bucketOf[i]! < boundary) kept.push(i);
    else if (bucketOf[i] === boundary) inBoundary.push(i);
  }
  inBoundary.sort((a, b) => c.logits[b]! - c.logits[a]! || c.ids[a]! - c.ids[b]!);
  let cum = cumAbove;
  for (const i of inBoundary) {
    kept.push(i);
    cum += weight[i]!;
    if (cum >= p) break;
  }
  c.keep(kept, kept.length, false);
}

// Top-p histogram: 1024 buckets over the 32 logit units below the max (p ratio e^-32 ≈ 1e-14);
// everything lower shares the last bucket.
const TOP_P_BUCKETS = 1024;
const TOP_P_RANGE = 32;

/** Keeps tokens with p ≥ minP · p_max, i.e. logit ≥ max_logit + ln(minP); order is kept. minP ≤ 0: no-op. */
export function applyMinP(c: Candidates, minP: number): void {
  if (minP <= 0 || c.size <= 1) return;
  const threshold = c.maxLogit() + Math.log(minP);
  let n = 0;
  for (let i = 0; i < c.size; i++) {
    if (c.logits[i]! >= threshold) {
      c.ids[n] = c.ids[i]!;
      c.logits[n] = c.logits[i]!;
      n++;
    }
  }
  c.size = n;
}

/** logits /= temp (temp > 0; temp ≤ 0 is handled by the Sampler as greedy before reaching here). */
export function applyTemperature(c: Candidates, temp: number): void {
  if (!(temp > 0)) throw new RangeError(`applyTemperature needs temp > 0, got ${temp}`);
  if (temp === 1) return;
  for (let i = 0; i < c.size; i++) c.logits[i] = c.logits[i]! / temp;
}

/**
 * Draws one id from softmax(logits) with one uniform number u from rng: the first candidate (in the
 * current order) whose cumulative probability exceeds u.
 */
export function drawFromDistribution(c: Candidates, rng: { next(): number }): number {
  if (c.size === 0) throw new Error('cannot sample: no candidate token is left');
  const probs = c.probabilities();
  const u = rng.next();
  let cum = 0;
  for (let i = 0; i < c.size; i++) {
    cum += probs[i]!;
    if (u < cum) return c.ids[i]!;
  }
  return c.ids[c.size - 1]!; // u landed in the rounding gap at the very top
}
