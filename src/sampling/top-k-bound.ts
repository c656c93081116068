// A cheap lower bound on the k-th highest logit, so that top-k selection only looks closely at
// the few tokens that can make it. The scores are cut into about BLOCKS_PER_K · k blocks; if at
// least k block maxima are ≥ m, then at least k tokens are ≥ m, so the k-th highest logit is ≥ m.
// Taking m = the k-th highest block maximum, every token of the top k has a logit ≥ m, and
// typically only a few k tokens pass that test (one comparison each, almost always false).

/** Blocks per wanted token: more blocks, a tighter bound, a longer selection among the maxima. */
const BLOCKS_PER_K = 4;

/** Reused across calls: one maximum per block. */
let maxima = new Float32Array(0);

/**
 * A value m such that every one of the k highest logits of scores is ≥ m (so tokens below m can be
 * skipped), or -Infinity when fewer than k blocks hold an allowed (> -Infinity) logit. NaN and
 * -Infinity never raise a block's maximum. scores: [n_vocab]; 1 ≤ k ≤ scores.length.
 */
export function topKLowerBound(scores: Float32Array, k: number): number {
  const n = scores.length;
  const blockSize = Math.max(1, Math.floor(n / (BLOCKS_PER_K * k)));
  const nBlocks = Math.ceil(n / blockSize);
  if (nBlocks < k) return -Infinity;
  if (maxima.length < nBlocks) maxima = new Float32Array(nBlocks);
  for (let b = 0, i = 0; b < nBlocks; b++) {
    const end = Math.min(n, i + blockSize);
    let m = -Infinity;
    for (; i < end; i++) {
      const v = scores[i]!;
      if (v > m) m = v;
    }
    maxima[b] = m;
  }
  return kthHighest(maxima, nBlocks, k);
}

/** The k-th highest of a[0..n) (1-based k), by quickselect in place (Hoare partition, middle pivot). */
function kthHighest(a: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  const want = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t;
        i++;
        j--;
      }
    }
    // now a[lo..j] ≥ pivot ≥ a[i..hi], and a[j+1..i-1] == pivot
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return a[want]!;
  }
  return a[want]!;
}
