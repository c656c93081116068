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
export { supportedArchitectures, registerArchitecture, readBaseConfig, UnknownArchitectureError, UnsupportedModelError } from './arch/index.js';
export type { ArchSpec } from './arch/index.js';
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

// --- chat and embeddings ---
export { Chat, ChatContextError, createChat, type ChatOptions, type RespondParams } from './chat/chat.js';
export type { ChatFormat } from './chat/chat-format.js';
export { renderChatTemplate, ChatTemplateError, type ChatMessage } from './chat/index.js';
export { embed, cosineSimilarity, type EmbedOptions, type Pooling } from './model/embed.js';
import { embed as embedTexts, type EmbedOptions as EmbedOpts } from './model/embed.js';

declare module './model/model.js' {
  interface Model {
    /** Embedding of one text ([dim], unit length by default); see embed() in src/model/embed.ts. */
    embed(input: string, opts?: EmbedOpts): Promise<Float32Array>;
    /** Embeddings of several texts, each computed on its own. */
    embed(input: readonly string[], opts?: EmbedOpts): Promise<Float32Array[]>;
  }
}

Model.prototype.embed = function embed(this: Model, input: string | readonly string[], opts?: EmbedOpts) {
  return embedTexts(this, input as string, opts);
} as Model['embed'];
export { createServer, type ServerOptions, type TsllamaServer } from './server/index.js';
