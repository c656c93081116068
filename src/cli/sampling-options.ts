// Sampling options shared by `run`, `chat` and `serve`, and their mapping to SamplingParams.
import type { SamplingParams } from '../sampling/index.js';

export interface SamplingDefaults { temp: number; topK?: number; topP?: number; minP?: number }

/** `run` is greedy by default; `chat` and `serve` sample like llama.cpp (0.8 / 40 / 0.95 / 0.05). */
export const GREEDY: SamplingDefaults = { temp: 0 };
export const LLAMA_CPP_CHAT: SamplingDefaults = { temp: 0.8, topK: 40, topP: 0.95, minP: 0.05 };

export function samplingOptions(d: SamplingDefaults) {
  return {
    temp: { type: 'number', default: d.temp, help: 'temperature (0 = greedy)' },
    'top-k': { type: 'number', default: d.topK, help: 'keep the k most likely tokens' },
    'top-p': { type: 'number', default: d.topP, help: 'nucleus sampling threshold' },
    'min-p': { type: 'number', default: d.minP, help: 'drop tokens below min-p × the best probability' },
    'repeat-penalty': { type: 'number', help: 'llama.cpp repeat penalty (1 = off)' },
    seed: { type: 'number', help: 'sampling seed (reproducible output)' },
  } as const;
}

export interface SamplingCliOptions {
  temp?: number; 'top-k'?: number; 'top-p'?: number; 'min-p'?: number; 'repeat-penalty'?: number; seed?: number;
}

export function samplingParams(o: SamplingCliOptions): SamplingParams {
  return { temp: o.temp, topK: o['top-k'], topP: o['top-p'], minP: o['min-p'], repeatPenalty: o['repeat-penalty'], seed: o.seed };
}
