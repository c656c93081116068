// Top-k selection for the sampler (Kernels.topK): the k highest logits of [n] f32 scores, best
// first (higher logit, ties to the lower id); -Infinity and NaN never enter. The JS oracle is
// Candidates.fill + keepTop (src/sampling/candidates.ts).
//
// 1. One SIMD pass takes block maxima: vector i goes to group i mod G, lane by lane, so there are
//    4·G blocks (G = k when the scores have that many vectors), each its own lanes of its vectors.
// 2. If at least k blocks have a maximum ≥ m, at least k tokens are ≥ m. A histogram of the 4·G
//    maxima over their range, read from the top until k maxima are counted, gives such an m: the
//    lower edge of that bin. Usually just over k tokens are ≥ it.
// 3. One SIMD pass compares every score with the bound; the few that pass go, in id order, into a
//    sorted array of at most k by insertion. If at least k tokens passed, the k-th highest logit is
//    ≥ the bound, so every token of the top k passed; otherwise (float rounding at the bin edge,
//    fewer than k allowed tokens, or no bound) the pass runs again without a bound.

const BINS = 128;

/** Scratch bytes top_k needs at `work` for k. */
export function top_k_work_bytes(k: i32): i32 {
  return (BINS << 2) + (max(k, 1) << 4);
}

/**
 * Writes the top min(k, allowed) of scores[0..n) to outIds / outLogits (best first); returns how
 * many. work: top_k_work_bytes(k) of scratch.
 */
export function top_k(scores: usize, n: i32, k: i32, work: usize, outIds: usize, outLogits: usize): i32 {
  if (k <= 0 || n <= 0) return 0;
  const bound = blockBound(scores, n, k, work, work + (<usize>BINS << 2));
  let m = collectTop(scores, n, k, bound, outIds, outLogits);
  if (m < k && bound > -Infinity) m = collectTop(scores, n, k, -Infinity, outIds, outLogits);
  return m;
}

/** The bound of steps 1–2 (-Infinity when there is none: fewer than k blocks, or no spread to bin). */
function blockBound(scores: usize, n: i32, k: i32, hist: usize, maxima: usize): f32 {
  const nVec = n >> 2;
  const groups = min(k, nVec);
  if (groups * 4 < k) return -Infinity;
  const negInf = f32x4.splat(-Infinity);
  for (let g = 0; g < groups; g++) v128.store(maxima + ((<usize>g) << 4), negInf);
  let g = 0;
  for (let i = 0; i < nVec; i++) {
    const v = v128.load(scores + ((<usize>i) << 4));
    const at = maxima + ((<usize>g) << 4);
    // NaN and -Infinity fail the comparison and leave the maximum as it was
    v128.store(at, v128.bitselect(v, v128.load(at), f32x4.gt(v, v128.load(at))));
    if (++g == groups) g = 0;
  }
  const nMax = groups * 4;
  let lo: f32 = Infinity;
  let hi: f32 = -Infinity;
  for (let j = 0; j < nMax; j++) {
    const v = load<f32>(maxima + ((<usize>j) << 2));
    if (v > -Infinity && v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo < hi)) return lo == hi ? lo : -Infinity;
  const scale: f32 = <f32>BINS / (hi - lo);
  if (!(scale > 0 && scale < Infinity)) return -Infinity;
  for (let b = 0; b < BINS; b += 4) v128.store(hist + ((<usize>b) << 2), i32x4.splat(0));
  for (let j = 0; j < nMax; j++) {
    const v = load<f32>(maxima + ((<usize>j) << 2));
    if (v >= lo) {
      let f = (v - lo) * scale;
      if (!(f < <f32>BINS)) f = <f32>(BINS - 1); // hi itself, and +Infinity·0 = NaN
      const at = hist + ((<usize><i32>f) << 2);
      store<i32>(at, load<i32>(at) + 1);
    }
  }
  let counted = 0;
  for (let b = BINS - 1; b >= 0; b--) {
    counted += load<i32>(hist + ((<usize>b) << 2));
    if (counted >= k) return lo + <f32>b / scale;
  }
  return -Infinity;
}

/** Allowed scores ≥ bound, in id order, into the sorted (best-first) top-k arrays; returns their count (≤ k). */
function collectTop(scores: usize, n: i32, k: i32, bound: f32, outIds: usize, outLogits: usize): i32 {
  const vb = f32x4.splat(bound);
  const negInf = f32x4.splat(-Infinity);
  let m = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(scores + ((<usize>i) << 2));
    let mask = i32x4.bitmask(v128.and(f32x4.ge(v, vb), f32x4.gt(v, negInf)));
    while (mask != 0) {
      const lane = ctz(mask);
      mask &= mask - 1;
      m = insertSorted(load<f32>(scores + ((<usize>(i + lane)) << 2)), i + lane, m, k, outIds, outLogits);
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(scores + ((<usize>i) << 2));
    if (v >= bound && v > -Infinity) m = insertSorted(v, i, m, k, outIds, outLogits);
  }
  return m;
}

/**
 * Inserts (v, id) into the best-first arrays of m ≤ k entries; returns the new count. Ids arrive in
 * increasing order, so an equal logit goes after the ones already there (ties to the lower id).
 */
// @ts-ignore: decorator
@inline
function insertSorted(v: f32, id: i32, m: i32, k: i32, ids: usize, logits: usize): i32 {
  if (m == k && !(v > load<f32>(logits + ((<usize>(k - 1)) << 2)))) return m;
  let j = m < k ? m : k - 1;
  while (j > 0) {
    const prev = load<f32>(logits + ((<usize>(j - 1)) << 2));
    if (!(prev < v)) break;
    store<f32>(logits + ((<usize>j) << 2), prev);
    store<i32>(ids + ((<usize>j) << 2), load<i32>(ids + ((<usize>(j - 1)) << 2)));
    j--;
  }
  store<f32>(logits + ((<usize>j) << 2), v);
  store<i32>(ids + ((<usize>j) << 2), id);
  return m < k ? m + 1 : k;
}
