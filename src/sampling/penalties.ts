// Logit edits before truncation: logit bias, then llama.cpp's repeat penalty and OpenAI's
// presence/frequency penalties. Both edit a caller-owned working copy of the logits in place,
// touching only the listed / recently seen ids (sparse), so they cost O(history), not O(n_vocab).

export interface PenaltyParams {
  repeatPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** Window of recent ids; 0 disables, -1 = the whole history. */
  penaltyLastN: number;
}

export function penaltiesActive(p: PenaltyParams): boolean {
  return p.penaltyLastN !== 0 && (p.repeatPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0);
}

/** logits[id] += bias for each entry; a bias of -Infinity bans the id. logits: [n_vocab] */
export function applyLogitBias(logits: Float32Array, bias: ReadonlyArray<readonly [number, number]>): void {
  for (const [id, b] of bias) {
    if (id >= logits.length) throw new RangeError(`logitBias names token ${id}, but the vocabulary has ${logits.length} tokens`);
    logits[id] = logits[id]! + b;
  }
}

/** Counts of each id among the last `lastN` entries of history (-1 = all). */
export function recentCounts(history: readonly number[], lastN: number): Map<number, number> {
  const start = lastN < 0 ? 0 : Math.max(0, history.length - lastN);
  const counts = new Map<number, number>();
  for (let i = start; i < history.length; i++) {
    const id = history[i]!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Penalties as llama.cpp's penalties sampler, once per distinct id in the window:
 *   repeat:  logit > 0 → logit / repeatPenalty, logit ≤ 0 → logit · repeatPenalty
 *            (dividing a negative logit would make the token more likely);
 *   then OpenAI's  logit -= frequencyPenalty · count + presencePenalty · (count > 0).
 * logits: [n_vocab], edited in place.
 */
export function applyPenalties(logits: Float32Array, history: readonly number[], p: PenaltyParams): void {
  if (!penaltiesActive(p)) return;
  for (const [id, count] of recentCounts(history, p.penaltyLastN)) {
    if (!Number.isInteger(id) || id < 0 || id >= logits.length) {
      throw new RangeError(`history holds token ${id}, outside the vocabulary of ${logits.length} tokens`);
    }
    let l = logits[id]!;
    l = l <= 0 ? l * p.repeatPenalty : l / p.repeatPenalty;
    l -= count * p.frequencyPenalty + p.presencePenalty;
    logits[id] = l;
  }
}
