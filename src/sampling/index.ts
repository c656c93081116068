export { Sampler } from './sampler.js';
export { StopMatcher } from './stop-matcher.js';
export { Rng } from './rng.js';
export { argmax } from './greedy.js';
export type { SamplingParams, TokenConstraint, ResolvedSamplingParams } from './params.js';
export { resolveSamplingParams } from './params.js';
