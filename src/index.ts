// tsllama's public API.
import { Model, type LoadOptions } from './model/model.js';
import { Session, type SessionOptions } from './session/session.js';

export { Model, Session };
export type { LoadOptions, SessionOptions };
export type { GenerateParams, GeneratedToken, StopReason } from './session/session.js';
export { ContextOverflowError } from './session/session.js';
export type { GenerationStats } from './session/stats.js';
export type { ModelConfig } from './arch/config.js';
export type { QuantMode } from './model/quant-mode.js';
export { supportedArchitectures, registerArchitecture } from './arch/index.js';
export { Sampler, StopMatcher } from './sampling/index.js';
export type { SamplingParams } from './sampling/index.js';
export { readGGUF } from './gguf/reader.js';
export { GGUFError } from './gguf/types.js';
export { MemoryBudgetError } from './runtime/memory.js';

/** Loads a GGUF model (a path; see resolveModel for hf: references) into WASM memory. */
export async function loadModel(path: string, opts: LoadOptions = {}): Promise<Model> {
  return Model.load(path, opts);
}

declare module './model/model.js' {
  interface Model {
    /** A new independent session (own KV cache, position, stats). */
    createSession(opts?: SessionOptions): Session;
  }
}

Model.prototype.createSession = function createSession(this: Model, opts?: SessionOptions): Session {
  return new Session(this, opts);
};
