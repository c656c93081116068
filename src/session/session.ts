// Session: one conversation's KV cache and position over a shared Model.
// eval() runs prompt tokens (batched prefill in chunks of maxBatch) or one token (decode);
// generate() streams sampled tokens with stop handling and records stats.
import type { KVType } from '../kernels/types.js';
import type { Model } from '../model/model.js';
import { Sampler, StopMatcher, type SamplingParams } from '../sampling/index.js';
import { parseKvType, type KVCache } from './kv-cache.js';
import { StatsRecorder, type GenerationStats } from './stats.js';

export interface SessionOptions {
  /** KV rows (default: the model's context length). */
  contextLength?: number;
  /** KV cache element type (default: the model's, LoadOptions.kvType: f16 unless chosen). */
  kvType?: KVType;
}

export interface GenerateParams extends SamplingParams {
  /** Most tokens to generate (default 128; -1 = until the context is full or an end token). */
  maxTokens?: number;
  /** Add BOS etc. when the prompt is text (default true for a fresh session, false when continuing). */
  addSpecial?: boolean;
  /** Parse special-token text in the prompt (default false). */
  parseSpecial?: boolean;
  /** Called with each piece of text as it is produced. */
  onToken?: (token: GeneratedToken) => void;
  /** Stops generation early. */
  signal?: AbortSignal;
}

export interface GeneratedToken { id: number; text: string }

export type StopReason = 'length' | 'eog' | 'stop' | 'context' | 'abort';

export class ContextOverflowError extends Error {
  constructor(needed: number, nCtx: number) {
    super(`prompt does not fit the context: ${needed} tokens needed, context is ${nCtx} (raise --ctx / contextLength)`);
    this.name = 'ContextOverflowError';
  }
}

export class Session {
  readonly nCtx: number;
  /** Token ids whose K/V are in the cache, in order. */
  private history: number[] = [];
  private lastLogits: Float32Array | null = null;
  /**
   * evalBatch's logits land here, reused from step to step (a fresh array per session and step was
   * garbage at every token: 2 KB to 600 KB, by vocabulary); `logits` copies it out on first use.
   */
  private logitsBuffer: Float32Array | null = null;
  private logitsInBuffer = false;
  private kv: KVCache;
  private recorder = new StatsRecorder();
  private disposed = false;
  lastStopReason: StopReason | null = null;
  /** Tokens run through the model by this session since it was created (prefix reuse shows here). */
  nEvaluated = 0;

  constructor(readonly model: Model, opts: SessionOptions = {}) {
    this.nCtx = opts.contextLength ?? model.defaultContext;
    if (!Number.isInteger(this.nCtx) || this.nCtx < 1) throw new Error(`contextLength must be a positive integer, got ${this.nCtx}`);
    this.kv = model.allocKV(this.nCtx, parseKvType(opts.kvType ?? model.kvType));
  }

  /** The KV cache's element type. */
  get kvType(): KVType {
    return this.kv.kvType;
  }

  /** Tokens in the cache (the next token's position). */
  get nPast(): number {
    return this.history.length;
  }

  /** The ids in the cache. */
  get tokens(): readonly number[] {
    return this.history;
  }

  /** Logits after the last eval, [n_vocab]; the array stays as it is when the session runs on. */
  get logits(): Float32Array {
    if (this.logitsInBuffer) {
      this.lastLogits = this.logitsBuffer!.slice();
      this.logitsInBuffer = false;
    }
    if (!this.lastLogits) throw new Error('no logits yet: call eval() first');
    return this.lastLogits;
  }

  /**
   * The same values as `logits` without a copy, for a caller that reads them at once (a sampler):
   * after evalBatch the view is overwritten by this session's next evalBatch.
   */
  get logitsView(): Float32Array {
    if (this.logitsInBuffer) return this.logitsBuffer!;
    return this.logits;
  }

  /**
   * Appends tokens to the cache and computes logits for the last one (or for every one with
   * `allLogits`, returned as [n, n_vocab] row-major). Several tokens run as batched prefill.
   */
  eval(ids: readonly number[], opts: { allLogits?: boolean } = {}): Float32Array {
    this.assertLive();
    if (ids.length === 0) return this.logits;
    const nVocab = this.model.config.nVocab;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= nVocab) throw new Error(`token id ${id} out of range [0, ${nVocab})`);
    }
    if (this.history.length + ids.length > this.nCtx) throw new ContextOverflowError(this.history.length + ids.length, this.nCtx);
    const maxBatch = this.model.scratch.maxBatch;
    const all = opts.allLogits ? new Float32Array(ids.length * nVocab) : null;
    let last: Float32Array | null = null;
    for (let i = 0; i < ids.length; i += maxBatch) {
      const chunk = ids.slice(i, i + maxBatch);
      const isLast = i + maxBatch >= ids.length;
      const wanted = all ? 'all' : isLast ? 'last' : 'none';
      const ptr = this.model.forward(this.kv, chunk, this.history.length, wanted);
      this.history.push(...chunk);
      this.nEvaluated += chunk.length;
      const f32 = this.model.views.f32;
      if (all) all.set(f32.subarray(ptr >> 2, (ptr >> 2) + chunk.length * nVocab), i * nVocab);
      if (isLast) {
        const lastRow = all ? (chunk.length - 1) * nVocab : 0;
        last = f32.slice((ptr >> 2) + lastRow, (ptr >> 2) + lastRow + nVocab);
      }
    }
    this.lastLogits = last;
    this.logitsInBuffer = false;
    return all ?? (last as Float32Array);
  }

  /**
   * Evaluates a few tokens for each of several sessions of one model in a single forward pass
   * (the server's batched decoding: one GEMM over all streams instead of one GEMV per stream).
   * Afterwards each session's `logits` are those of its last token, as if it had run eval() alone.
   */
  static evalBatch(items: readonly { session: Session; ids: readonly number[] }[]): void {
    if (items.length === 0) return;
    const model = items[0].session.model;
    let total = 0;
    for (const { session, ids } of items) {
      session.assertLive();
      if (session.model !== model) throw new Error('evalBatch: all sessions must belong to one model');
      if (ids.length === 0) throw new Error('evalBatch: every session needs at least one token');
      if (session.history.length + ids.length > session.nCtx) throw new ContextOverflowError(session.history.length + ids.length, session.nCtx);
      total += ids.length;
    }
    if (new Set(items.map((i) => i.session)).size !== items.length) throw new Error('evalBatch: a session appears twice');
    if (total > model.scratch.maxBatch) throw new Error(`evalBatch: ${total} tokens exceed the batch size ${model.scratch.maxBatch}`);
    const ptr = model.forwardBatch(items.map(({ session, ids }) => ({ kv: session.kv, ids, pos0: session.history.length })), 'last');
    const nVocab = model.config.nVocab;
    const f32 = model.views.f32;
    items.forEach(({ session, ids }, i) => {
      session.history.push(...ids);
      session.nEvaluated += ids.length;
      session.logitsBuffer ??= new Float32Array(nVocab);
      session.logitsBuffer.set(f32.subarray((ptr >> 2) + i * nVocab, (ptr >> 2) + (i + 1) * nVocab));
      session.logitsInBuffer = true;
      session.lastLogits = null;
    });
  }

  /** Drops cache entries after the first `n` tokens (regenerate / edit). */
  truncate(n: number): void {
    if (n < 0 || n > this.history.length) throw new Error(`cannot truncate to ${n}: the cache holds ${this.history.length} tokens`);
    if (n < this.history.length) {
      this.history.length = n;
      this.lastLogits = null;
      this.logitsInBuffer = false;
    }
  }

  reset(): void {
    this.truncate(0);
  }

  /** Picks the next token from the current logits. */
  sample(params: SamplingParams | Sampler = {}): number {
    const sampler = params instanceof Sampler ? params : new Sampler(params);
    return sampler.sample(this.logits, this.history, this.model.kernels);
  }

  /** Statistics of the last generate() call. */
  stats(): GenerationStats {
    return this.recorder.snapshot(this.model.memory.buffer.byteLength);
  }

  /** Generates from a text or token prompt; yields each token with its text (UTF-8 safe). */
  async *generate(prompt: string | readonly number[], params: GenerateParams = {}): AsyncGenerator<GeneratedToken, StopReason> {
    this.assertLive();
    const tok = this.model.tokenizer;
    const ids = typeof prompt === 'string'
      ? tok.encode(prompt, { addSpecial: params.addSpecial ?? this.history.length === 0, parseSpecial: params.parseSpecial ?? false })
      : [...prompt];
    const maxTokens = params.maxTokens ?? 128;
    const sampler = new Sampler(params);
    const stopTokens = new Set(params.stopTokens ?? []);
    const stops = new StopMatcher(params.stop ?? []);
    const decoder = tok.streamDecoder();
    this.recorder.start();
    if (ids.length === 0 && !this.lastLogits && !this.logitsInBuffer) throw new Error('empty prompt and nothing evaluated yet');
    this.eval(ids);
    this.recorder.prefillDone(ids.length);
    let reason: StopReason = 'length';
    for (let n = 0; maxTokens < 0 || n < maxTokens; n++) {
      if (params.signal?.aborted) { reason = 'abort'; break; }
      const id = sampler.sample(this.logits, this.history, this.model.kernels);
      this.recorder.tokenDone();
      if (tok.isEog(id) || stopTokens.has(id)) { reason = 'eog'; break; }
      const piece = decoder.push(id);
      const { emit, stopped } = stops.push(piece);
      // Every token is yielded, even when its text is held back (partial UTF-8 or a possible stop string).
      const out = { id, text: emit };
      params.onToken?.(out);
      yield out;
      if (stopped) { reason = 'stop'; break; }
      if (this.history.length >= this.nCtx) { reason = 'context'; break; }
      this.eval([id]);
      // Let other async work (HTTP, Ctrl-C) run between tokens.
      if ((n & 7) === 7) await new Promise<void>((r) => setImmediate(r));
    }
    if (reason !== 'stop') {
      const rest = stops.push(decoder.flush()).emit + stops.flush();
      if (rest) {
        const out = { id: -1, text: rest };
        params.onToken?.(out);
        yield out;
      }
    }
    this.lastStopReason = reason;
    return reason;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('session has been disposed');
  }

  /** Returns the KV cache to the model. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.releaseKV(this.kv);
  }
}
