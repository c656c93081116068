// A cheap guess at the k-th highest logit, so that top-k selection only looks closely at the few
// tokens that can make it: a histogram of the allowed logits over [min, max], read from the top
// until k tokens are counted; the guess is the lower edge of that bin. Float rounding can put the
// edge a hair above a token counted in its bin, so the caller checks the guess (Candidates.fillTop
// keeps it only when at least k tokens are ≥ it, which makes every token of the top k ≥ it).

/** Histogram bins: more bins, a tighter guess; the scan from the top stops at the k-th token. */
const BINS = 128;

/** Reused across calls. */
const counts = new Int32Array(BINS);

/**
 * A value m such that about k allowed (> -Infinity) logits are ≥ m, normally just over k;
 * -Infinity when fewer than k logits are allowed. NaN and -Infinity are never counted.
 * scores: [n_vocab]; 1 ≤ k ≤ scores.length.
 */
export function topKBoundGuess(scores: Float32Array, k: number): number {
  const n = scores.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = scores[i]!;
    if (v > hi) hi = v;
    if (v < lo && v > -Infinity) lo = v;
  }
  if (!(hi > -Infinity)) return -Infinity; // nothing allowed
  if (hi === lo) return lo;                 // one allowed value (the caller's check covers too few tokens)
  counts.fill(0);
  const scale = BINS / (hi - lo);
  for (let i = 0; i < n; i++) {
    const v = scores[i]!;
    if (v >= lo) counts[Math.min(BINS - 1, ((v - lo) * scale) | 0)]!++; // NaN and -Infinity fail v >= lo
  }
  let counted = 0;
  for (let b = BINS - 1; b >= 0; b--) {
    counted += counts[b]!;
    if (counted >= k) return lo + b / scale;
  }
  return -Infinity;
}
