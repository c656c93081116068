// Greedy selection: one pass over the logits, no copy, no sort.

/**
 * Index of the largest logit; ties go to the lowest id (as llama.cpp's greedy sampler, which only
 * replaces on a strictly greater value). NaN never wins. Returns -1 when no logit is above -Infinity.
 * logits: [n_vocab]
 */
export function argmax(logits: Float32Array): number {
  let best = -1;
  let bestVal = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bestVal) {
      bestVal = v;
      best = i;
    }
  }
  return best;
}
