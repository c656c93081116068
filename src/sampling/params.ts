// Sampling parameters, their llama.cpp defaults, and validation with one-line errors.

export interface SamplingParams {
  /** Temperature; 0 (default) or below → greedy argmax, ties going to the lowest id. */
  temp?: number;
  /** Keep the k highest logits; ≤ 0 disables (llama.cpp's top_k = 0). */
  topK?: number;
  /** Nucleus: keep the smallest most-likely set with cumulative probability ≥ topP (at least 1); 1 disables. */
  topP?: number;
  /** Keep tokens with p ≥ minP · p_max; 0 disables. */
  minP?: number;
  /** Locally typical sampling; 1 disables. */
  typicalP?: number;
  /** llama.cpp repeat penalty over the last penaltyLastN ids; 1 disables. */
  repeatPenalty?: number;
  /** OpenAI presence penalty: logit -= presencePenalty if the id occurred in the window. */
  presencePenalty?: number;
  /** OpenAI frequency penalty: logit -= frequencyPenalty · count in the window. */
  frequencyPenalty?: number;
  /** Window of recent ids the penalties look at; 0 disables penalties, -1 means the whole history. Default 64. */
  penaltyLastN?: number;
  /** Seed of the sampling RNG; the same seed and inputs give the same tokens. Omitted → a random seed. */
  seed?: number;
  /** Added to the logit of each listed id; -Infinity bans the id. */
  logitBias?: Record<number, number>;
  /** Stop strings (handled by StopMatcher on the decoded text, not by the Sampler). */
  stop?: string[];
  /** Ids that end generation (checked by the caller; the Sampler may still pick them). */
  stopTokens?: number[];
}

/** A token mask for constrained decoding (e.g. a JSON grammar). */
export interface TokenConstraint {
  /** Whether `id` may come next. */
  allowed(id: number): boolean;
  /** Called by Sampler.sample with the id it picked, so the constraint can advance its state. */
  accept(id: number): void;
}

/** Parameters with every default filled in (llama.cpp's defaults for the penalties). */
export interface ResolvedSamplingParams {
  temp: number;
  topK: number;
  topP: number;
  minP: number;
  typicalP: number;
  repeatPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  penaltyLastN: number;
  logitBias: ReadonlyArray<readonly [id: number, bias: number]>;
}

function finite(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || !Number.isFinite(v)) {
    throw new RangeError(`sampling parameter ${name} must be a finite number, got ${String(v)}`);
  }
  return v;
}

function inRange(name: string, v: number, lo: number, hi: number): number {
  if (v < lo || v > hi) throw new RangeError(`sampling parameter ${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

export function resolveSamplingParams(p: SamplingParams): ResolvedSamplingParams {
  const topK = finite('topK', p.topK, 0);
  if (!Number.isInteger(topK)) throw new RangeError(`sampling parameter topK must be an integer, got ${topK}`);
  const penaltyLastN = finite('penaltyLastN', p.penaltyLastN, 64);
  if (!Number.isInteger(penaltyLastN) || penaltyLastN < -1) {
    throw new RangeError(`sampling parameter penaltyLastN must be an integer ≥ -1, got ${penaltyLastN}`);
  }
  const repeatPenalty = finite('repeatPenalty', p.repeatPenalty, 1);
  if (repeatPenalty <= 0) throw new RangeError(`sampling parameter repeatPenalty must be > 0, got ${repeatPenalty}`);

  const logitBias: Array<readonly [number, number]> = [];
  for (const [key, bias] of Object.entries(p.logitBias ?? {})) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`logitBias key ${JSON.stringify(key)} is not a token id`);
    if (typeof bias !== 'number' || Number.isNaN(bias) || bias === Infinity) {
      throw new RangeError(`logitBias for token ${id} must be a number or -Infinity, got ${String(bias)}`);
    }
    logitBias.push([id, bias]);
  }

  return {
    temp: finite('temp', p.temp, 0),
    topK,
    topP: inRange('topP', finite('topP', p.topP, 1), 0, 1),
    minP: inRange('minP', finite('minP', p.minP, 0), 0, 1),
    typicalP: inRange('typicalP', finite('typicalP', p.typicalP, 1), 0, 1),
    repeatPenalty,
    presencePenalty: finite('presencePenalty', p.presencePenalty, 0),
    frequencyPenalty: finite('frequencyPenalty', p.frequencyPenalty, 0),
    penaltyLastN,
    logitBias,
  };
}
