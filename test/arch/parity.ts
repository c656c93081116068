// Shared by the architecture tests: compare tsllama with llama.cpp on one GGUF file.
// Legend: P prompt tokens, V vocab size.
import { loadModel } from '../../src/index.js';
import type { QuantMode } from '../../src/model/quant-mode.js';
import { llamaCppGreedy, llamaCppLogits, shiftInvariantError, top2 } from '../helpers/llamacpp.js';

export type Backend = 'scalar' | 'wasm';

/** Fixed prompt ids (the synth vocabularies have 1024 tokens). */
export const PROMPT = [1, 300, 45, 600, 1000, 17, 259, 512, 77, 901];
export const GREEDY_TOKENS = 32;

export interface Reference {
  /** llama.cpp's log-probabilities at each prompt position, [P][V]. */
  logits: Float32Array[];
  greedy: { ids: number[]; top2Gap: number[] };
}

export async function reference(path: string): Promise<Reference> {
  const logits = await llamaCppLogits(path, PROMPT);
  const g = await llamaCppGreedy(path, PROMPT, GREEDY_TOKENS);
  return { logits, greedy: { ids: g.ids, top2Gap: g.top2Gap } };
}

export interface Comparison {
  /** Largest shift-invariant logit difference over all ids, per prompt position. */
  logitErr: number[];
  /** Our greedy ids, as many as llama.cpp produced. */
  greedy: number[];
}

/** Runs the prompt (one batch, logits at every position) then greedy decoding, one token per step. */
export async function runOurs(path: string, quant: QuantMode, backend: Backend, ref: Reference): Promise<Comparison> {
  const model = await loadModel(path, { quant, backend, threads: 1, contextLength: 128 });
  try {
    const session = model.createSession({ contextLength: 128 });
    const V = model.config.nVocab;
    const all = session.eval(PROMPT, { allLogits: true }); // [P, V]
    const ids = Array.from({ length: V }, (_, i) => i);
    const logitErr = ref.logits.map((r, p) => shiftInvariantError(all.subarray(p * V, (p + 1) * V), r, ids));
    const greedy: number[] = [];
    let logits: Float32Array = all.slice((PROMPT.length - 1) * V);
    while (greedy.length < ref.greedy.ids.length) {
      const [best] = top2(logits);
      greedy.push(best);
      logits = session.eval([best]);
    }
    session.dispose();
    return { logitErr, greedy };
  } finally {
    await model.dispose();
  }
}

/** First step where the greedy ids differ, or -1. */
export function firstDivergence(ours: number[], theirs: number[]): number {
  return ours.findIndex((id, i) => id !== theirs[i]);
}
