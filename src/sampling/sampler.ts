// Sampler: logits [n_vocab] + the ids so far → the next id.
//
// Chain (llama.cpp's common sampler order):
//   logit bias → penalties (repeat, presence, frequency) → constraint mask →
//   temp ≤ 0: greedy argmax (single pass)
//   temp > 0: top-k → typical → top-p → min-p → temperature → draw with the seeded Rng.
// Note: llama.cpp applies logit bias *before* the penalties (logit-bias is the first sampler of its
// chain), so a biased logit is then penalized; we follow it.
// At temp ≤ 0 the truncation samplers are skipped: they always keep the argmax, except typical,
// which llama.cpp would still apply first — greedy here means the plain argmax.
import { randomInt } from 'node:crypto';
import type { Kernels } from '../kernels/types.js';
import { Candidates } from './candidates.js';
import { applyMinP, applyTemperature, applyTopK, applyTopP, applyTypical, drawFromDistribution } from './filters.js';
import { argmax } from './greedy.js';
import { resolveSamplingParams, type ResolvedSamplingParams, type SamplingParams, type TokenConstraint } from './params.js';
import { applyLogitBias, applyPenalties, penaltiesActive } from './penalties.js';
import { Rng } from './rng.js';

export class Sampler {
  readonly params: Readonly<ResolvedSamplingParams>;
  private seedInUse: number;
  private rng: Rng;
  private constraint: TokenConstraint | null = null;
  private work = new Float32Array(0); // [n_vocab] edited copy of the caller's logits
  private readonly candidates = new Candidates();

  constructor(params: SamplingParams = {}) {
    this.params = resolveSamplingParams(params);
    this.seedInUse = params.seed ?? randomSeed();
    this.rng = new Rng(this.seedInUse);
  }

  /** The seed in use (the given one, or the random one picked when none was given). */
  get seed(): number {
    return this.seedInUse;
  }

  /** Sets (or clears) the mask applied before sampling; sample() calls its accept() with each picked id. */
  setConstraint(c: TokenConstraint | null): void {
    this.constraint = c;
  }

  /** Restarts the random stream: from `seed` if given, else from the current seed. */
  reset(seed?: number): void {
    if (seed !== undefined) this.seedInUse = seed;
    this.rng = new Rng(this.seedInUse);
  }

  /**
   * Picks the next id. logits: [n_vocab], never modified. history: the ids so far (prompt and
   * generated, oldest first), read by the penalties. kernels: a model's kernels, whose topK (when
   * it has one) selects the top-k candidates in WASM instead of JS — the same ids in the same order.
   */
  sample(logits: Float32Array, history: readonly number[], kernels?: Pick<Kernels, 'topK'>): number {
    if (logits.length === 0) throw new RangeError('cannot sample from empty logits');
    const p = this.params;
    const scores = this.needsEditedCopy() ? this.editedCopy(logits, history) : logits;

    const id = p.temp <= 0 ? this.pickGreedy(scores) : this.pickStochastic(scores, kernels);
    this.constraint?.accept(id);
    return id;
  }

  private needsEditedCopy(): boolean {
    return this.params.logitBias.length > 0 || penaltiesActive(this.params) || this.constraint !== null;
  }

  private editedCopy(logits: Float32Array, history: readonly number[]): Float32Array {
    if (this.work.length !== logits.length) this.work = new Float32Array(logits.length);
    const w = this.work;
    w.set(logits);
    applyLogitBias(w, this.params.logitBias);
    applyPenalties(w, history, this.params);
    return w;
  }

  /** Sets disallowed ids to -Infinity. scores: [n_vocab], our own copy. */
  private maskDisallowed(scores: Float32Array): void {
    const c = this.constraint!;
    for (let i = 0; i < scores.length; i++) if (scores[i]! > -Infinity && !c.allowed(i)) scores[i] = -Infinity;
  }

  private pickGreedy(scores: Float32Array): number {
    let id = argmax(scores);
    // Only when the unconstrained winner is disallowed do we pay for masking the whole vocabulary.
    if (id >= 0 && this.constraint && !this.constraint.allowed(id)) {
      this.maskDisallowed(scores);
      id = argmax(scores);
    }
    if (id < 0) throw new Error(noTokenLeft(this.constraint !== null));
    return id;
  }

  private pickStochastic(scores: Float32Array, kernels: Pick<Kernels, 'topK'> | undefined): number {
    const p = this.params;
    if (this.constraint) this.maskDisallowed(scores);
    const c = this.candidates;
    // top-k straight from the scores when it truncates (the usual case): no pass over a full candidate set
    if (p.topK > 0 && p.topK < scores.length) c.fillTop(scores, p.topK, kernels);
    else c.fill(scores);
    if (c.size === 0) throw new Error(noTokenLeft(this.constraint !== null));
    applyTopK(c, p.topK);
    applyTypical(c, p.typicalP);
    applyTopP(c, p.topP);
    applyMinP(c, p.minP);
    applyTemperature(c, p.temp);
    return drawFromDistribution(c, this.rng);
  }
}

function noTokenLeft(constrained: boolean): string {
  return `cannot sample: every token is banned (all logits are -Infinity or NaN after logitBias${constrained ? ' and the constraint' : ''})`;
}

function randomSeed(): number {
  return randomInt(0, 0x1_0000_0000);
}
