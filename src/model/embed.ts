// Text embeddings from a loaded model: run the text through a scratch KV region with the 'hidden'
// forward mode (output-normed hidden states, [T, dim]), pool the rows into one vector, L2-normalize.
// Each text is embedded on its own, from position 0, so a batch gives the same vectors as one by one.
import type { Model } from './model.js';

/** 'mean': average of every token's row; 'last': the last token's row; 'cls': the first token's row. */
export type Pooling = 'mean' | 'last' | 'cls';
export const POOLINGS: readonly Pooling[] = ['mean', 'last', 'cls'];

export interface EmbedOptions {
  /** Default: the GGUF's `<arch>.pooling_type` when it names one of these, else 'mean'. */
  pooling?: Pooling;
  /** Scale each vector to unit L2 length (default true). */
  normalize?: boolean;
  /** Add BOS/EOS as the model asks (default true). */
  addSpecial?: boolean;
}

// llama.cpp's enum llama_pooling_type values as stored in `<arch>.pooling_type`.
const GGUF_POOLING: Record<number, Pooling> = { 1: 'mean', 2: 'cls', 3: 'last' };

/** The pooling a model's GGUF asks for, or 'mean'. */
export function defaultPooling(model: Model): Pooling {
  const v = model.metadata(`${model.architecture}.pooling_type`);
  return (typeof v === 'number' && GGUF_POOLING[v]) || 'mean';
}

export function embed(model: Model, input: string, opts?: EmbedOptions): Promise<Float32Array>;
export function embed(model: Model, input: readonly string[], opts?: EmbedOptions): Promise<Float32Array[]>;
export async function embed(model: Model, input: string | readonly string[], opts: EmbedOptions = {}): Promise<Float32Array | Float32Array[]> {
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new TypeError('embed: input must be a string or an array of strings');
  const pooling = opts.pooling ?? defaultPooling(model);
  if (!POOLINGS.includes(pooling)) throw new RangeError(`embed: unknown pooling "${String(pooling)}" (use ${POOLINGS.join(', ')})`);
  const normalize = opts.normalize ?? true;
  const tokenized = texts.map((t) => model.encode(t, { addSpecial: opts.addSpecial ?? true, parseSpecial: false }));
  const out: Float32Array[] = [];
  if (tokenized.length === 0) return out;
  tokenized.forEach((ids, i) => {
    if (ids.length === 0) throw new RangeError(`embed: text ${i} has no tokens (empty text, and the model adds no BOS)`);
    if (ids.length > model.defaultContext) {
      throw new RangeError(`embed: text ${i} is ${ids.length} tokens, more than the context of ${model.defaultContext} (raise contextLength)`);
    }
  });

  // One KV region for the whole batch, sized for the longest text (rounded up so that repeated calls
  // with similar lengths reuse the released region instead of growing the arena).
  const longest = Math.max(...tokenized.map((ids) => ids.length));
  const kv = model.allocKV(Math.min(model.defaultContext, Math.max(64, 2 ** Math.ceil(Math.log2(longest)))), 'f16');
  try {
    for (let i = 0; i < tokenized.length; i++) {
      const v = pooledHidden(model, kv, tokenized[i], pooling);
      if (normalize) l2Normalize(v);
      out.push(v);
      // A long batch must not starve other async work (HTTP requests, Ctrl-C).
      if (i + 1 < tokenized.length) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    model.releaseKV(kv);
  }
  return typeof input === 'string' ? out[0] : out;
}

/** Runs `ids` from position 0 in chunks of maxBatch and pools the hidden rows. Returns [dim]. */
function pooledHidden(model: Model, kv: Parameters<Model['forward']>[0], ids: readonly number[], pooling: Pooling): Float32Array {
  const dim = model.config.dim;
  const maxBatch = model.scratch.maxBatch;
  const acc = new Float64Array(dim); // sum of rows for 'mean' (f64: long texts)
  const pooled = new Float32Array(dim);
  for (let start = 0; start < ids.length; start += maxBatch) {
    const chunk = ids.slice(start, start + maxBatch);
    const T = chunk.length;
    const ptr = model.forward(kv, chunk, start, 'hidden');
    const rows = model.views.f32.subarray(ptr >> 2, (ptr >> 2) + T * dim); // [T, dim]
    if (pooling === 'mean') {
      for (let t = 0; t < T; t++) for (let j = 0; j < dim; j++) acc[j] += rows[t * dim + j];
    } else if (pooling === 'cls' && start === 0) {
      pooled.set(rows.subarray(0, dim));
    } else if (pooling === 'last' && start + T === ids.length) {
      pooled.set(rows.subarray((T - 1) * dim, T * dim));
    }
  }
  if (pooling === 'mean') for (let j = 0; j < dim; j++) pooled[j] = acc[j] / ids.length;
  return pooled;
}

/** Scales v to unit Euclidean length in place (a zero vector stays zero). */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** Cosine similarity of two vectors of the same length. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cosineSimilarity: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
