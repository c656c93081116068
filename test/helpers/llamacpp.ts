// llama.cpp as an in-process oracle, through node-llama-cpp's prebuilt CPU binary (never downloaded
// or compiled here). node-llama-cpp 3.x exposes no raw logits, only the sampler's full probability
// list for the next token, so logits are returned as log-probabilities: llama.cpp's logits up to one
// additive constant per position (compare them with `shiftInvariantError`, or differences between ids).
//
// Legend: n tokens, V vocab size.
import type { ControlledEvaluateInputItem, Llama, LlamaContext, LlamaModel, Token } from 'node-llama-cpp';

export interface LlamaCppOptions {
  /** CPU threads of the context (default 1, as the goldens). */
  threads?: number;
  /** KV cells (default: enough for the tokens, at least 256). */
  contextSize?: number;
  /** Tokens per decode call (default: the whole prompt in one batch). 1 = teacher-forced decode. */
  batchSize?: number;
  /** llama.cpp's flash-attention path (default true: the goldens were made with it). */
  flashAttention?: boolean;
  /** K and V cache element type (default f16, llama.cpp's default). */
  kvType?: 'f16' | 'f32';
}

export interface GreedyResult {
  /** Greedy ids, stopping after an end-of-generation token. */
  ids: number[];
  /** Logit gap between best and runner-up at each step. */
  top2Gap: number[];
  /** Log-probabilities at each step, [V] each. */
  logits: Float32Array[];
}

let llamaPromise: Promise<Llama | string> | null = null;
const models = new Map<string, Promise<LlamaModel>>();

/** Loads the prebuilt binding once; a string is the reason it cannot be used. */
async function getLlamaOrReason(): Promise<Llama | string> {
  llamaPromise ??= (async () => {
    // Never fetch or build llama.cpp: a missing prebuilt means "skip", not a download.
    process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
    let mod: typeof import('node-llama-cpp');
    try {
      mod = await import('node-llama-cpp');
    } catch (e) {
      return `node-llama-cpp is not installed (${(e as Error).message.split('\n')[0]})`;
    }
    try {
      return await mod.getLlama({ build: 'never', gpu: false, logLevel: mod.LlamaLogLevel.error, progressLogs: false });
    } catch (e) {
      return `node-llama-cpp's prebuilt CPU binary cannot be loaded here (${(e as Error).message.split('\n')[0]})`;
    }
  })();
  return llamaPromise;
}

/** true when llama.cpp can run here, otherwise the reason (for `t.skip(reason)`). */
export async function llamaCppAvailable(): Promise<boolean | string> {
  const l = await getLlamaOrReason();
  return typeof l === 'string' ? l : true;
}

async function llama(): Promise<Llama> {
  const l = await getLlamaOrReason();
  if (typeof l === 'string') throw new Error(l);
  return l;
}

async function model(modelPath: string): Promise<LlamaModel> {
  let m = models.get(modelPath);
  if (!m) {
    m = llama().then((l) => l.loadModel({ modelPath, gpuLayers: 0 }));
    models.set(modelPath, m);
    m.catch(() => models.delete(modelPath));
  }
  return m;
}

async function withContext<T>(modelPath: string, nTokens: number, opts: LlamaCppOptions, body: (ctx: LlamaContext) => Promise<T>): Promise<T> {
  const m = await model(modelPath);
  const contextSize = opts.contextSize ?? Math.max(256, nTokens);
  const ctx = await m.createContext({
    contextSize,
    batchSize: opts.batchSize ?? Math.max(1, Math.min(nTokens, contextSize)),
    threads: opts.threads ?? 1,
    flashAttention: opts.flashAttention ?? true,
    sequences: 1,
    ...(opts.kvType === 'f32' ? { experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' } as const : {}),
  });
  try {
    return await body(ctx);
  } finally {
    await ctx.dispose();
  }
}

/** Full-vocabulary log-probabilities from node-llama-cpp's probability map (it lists every id). */
function logProbs(probabilities: Map<number, number> | undefined): Float32Array {
  if (!probabilities) throw new Error('node-llama-cpp returned no probabilities');
  const out = new Float32Array(probabilities.size).fill(-Infinity);
  for (const [id, p] of probabilities) {
    if (id >= out.length) throw new Error(`node-llama-cpp's probability list is not the whole vocabulary (id ${id} of ${out.length})`);
    out[id] = Math.log(p);
  }
  return out;
}

/**
 * llama.cpp's logits at every prompt position (as log-probabilities, [n][V]): the prompt is
 * decoded in batches of `batchSize` (default all at once) into a fresh context.
 */
export async function llamaCppLogits(modelPath: string, tokenIds: readonly number[], opts: LlamaCppOptions = {}): Promise<Float32Array[]> {
  if (tokenIds.length === 0) throw new Error('llamaCppLogits needs at least one token');
  return withContext(modelPath, tokenIds.length, opts, async (ctx) => {
    const seq = ctx.getSequence();
    const res = await seq.controlledEvaluate(tokenIds.map((id): ControlledEvaluateInputItem => [id as Token, { generateNext: { probabilities: true } }]));
    return res.map((r, i) => {
      if (!r?.next.probabilities) throw new Error(`node-llama-cpp returned no probabilities at position ${i}`);
      return logProbs(r.next.probabilities);
    });
  });
}

/** Greedy decoding by llama.cpp: the prompt as one batch, then one token per decode. */
export async function llamaCppGreedy(modelPath: string, promptIds: readonly number[], n: number, opts: LlamaCppOptions = {}): Promise<GreedyResult> {
  const total = promptIds.length + n;
  return withContext(modelPath, total, { ...opts, batchSize: opts.batchSize ?? promptIds.length, contextSize: opts.contextSize ?? Math.max(256, total) }, async (ctx) => {
    const seq = ctx.getSequence();
    const out: GreedyResult = { ids: [], top2Gap: [], logits: [] };
    const last = promptIds.length - 1;
    let res = await seq.controlledEvaluate(promptIds.map((id, i): ControlledEvaluateInputItem => (i === last ? [id as Token, { generateNext: { probabilities: true } }] : id as Token)));
    for (let step = 0; step < n; step++) {
      const probs = res[res.length - 1]?.next.probabilities;
      const lp = logProbs(probs);
      const [best, second] = top2(lp);
      out.ids.push(best);
      out.top2Gap.push(lp[best] - lp[second]);
      out.logits.push(lp);
      if (ctx.model.isEogToken(best as Token)) break;
      if (step === n - 1) break;
      res = await seq.controlledEvaluate([[best as Token, { generateNext: { probabilities: true } }]]);
    }
    return out;
  });
}

/** llama.cpp's tokenization (no BOS added; `special` parses special-token text). */
export async function llamaCppTokenize(modelPath: string, text: string, opts: { special?: boolean } = {}): Promise<number[]> {
  const m = await model(modelPath);
  return [...m.tokenize(text, opts.special ?? false)];
}

/** Unloads every cached model and the binding (call from a test's `after`). */
export async function disposeLlamaCpp(): Promise<void> {
  const ms = [...models.values()];
  models.clear();
  for (const m of ms) await m.then((x) => x.dispose(), () => undefined);
  const l = llamaPromise ? await llamaPromise : null;
  llamaPromise = null;
  if (l && typeof l !== 'string') await l.dispose();
}

/** Index of the largest and second-largest values. */
export function top2(x: ArrayLike<number>): [number, number] {
  let a = -1;
  let b = -1;
  for (let i = 0; i < x.length; i++) {
    if (a < 0 || x[i] > x[a]) { b = a; a = i; } else if (b < 0 || x[i] > x[b]) b = i;
  }
  return [a, b];
}

/**
 * Largest difference between two logit vectors over `ids` after removing the best common shift
 * (the mean difference): log-probabilities and raw logits differ by one constant per position.
 */
export function shiftInvariantError(a: ArrayLike<number>, b: ArrayLike<number>, ids: readonly number[]): number {
  let mean = 0;
  for (const id of ids) mean += a[id] - b[id];
  mean /= ids.length;
  let worst = 0;
  for (const id of ids) worst = Math.max(worst, Math.abs(a[id] - b[id] - mean));
  return worst;
}
