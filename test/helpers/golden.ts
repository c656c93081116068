// Reads llama.cpp reference outputs (../shared/golden) and compares tsllama against them.
import { readFileSync } from 'node:fs';

export interface GoldenCase {
  prompt: string;
  add_bos: boolean;
  prompt_ids: number[];
  prompt_logits_top10: [number, number][][];
  last_prompt_logits?: number[];
  greedy_ids: number[];
  greedy_top2_gap: number[];
  greedy_text: string;
}
export interface Golden { model: string; n_vocab: number; cases: GoldenCase[] }

export function readGolden(path: string): Golden {
  return JSON.parse(readFileSync(path, 'utf8')) as Golden;
}

/** Largest |ours - ref| / (atol + rtol*|ref|) over the listed (id, logit) pairs; ≤ 1 passes. */
export function logitError(ours: Float32Array, offset: number, ref: [number, number][], atol: number, rtol: number): { worst: number; maxAbs: number } {
  let worst = 0;
  let maxAbs = 0;
  for (const [id, logit] of ref) {
    const d = Math.abs(ours[offset + id] - logit);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (atol + rtol * Math.abs(logit)));
  }
  return { worst, maxAbs };
}

export interface GreedyComparison {
  /** Steps that matched before the first divergence (= length when none). */
  matched: number;
  /** Index of the first divergence, or -1. */
  divergedAt: number;
  /** llama.cpp's top-2 gap at the divergence (a near-tie when small). */
  gapAtDivergence: number;
}

export function compareGreedy(ours: number[], ref: number[], gaps: number[]): GreedyComparison {
  const n = Math.min(ours.length, ref.length);
  for (let i = 0; i < n; i++) {
    if (ours[i] !== ref[i]) return { matched: i, divergedAt: i, gapAtDivergence: gaps[i] ?? 0 };
  }
  if (ours.length !== ref.length) return { matched: n, divergedAt: n, gapAtDivergence: gaps[n] ?? Infinity };
  return { matched: n, divergedAt: -1, gapAtDivergence: Infinity };
}
