// llama.cpp's side of one benchmark configuration, through node-llama-cpp's prebuilt CPU binary
// (a devDependency; never downloaded or compiled here). Runs inside a child process, alone.
import type { Token } from 'node-llama-cpp';
import { batchedDecodeIds, randomPromptIds, rssMiB, seconds, warmupDecodeSteps } from './prompt.js';
import type { BenchJob, SideResult } from './types.js';

export async function measureLlamaCpp(job: BenchJob): Promise<SideResult> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  let nlc: typeof import('node-llama-cpp');
  try {
    nlc = await import('node-llama-cpp');
  } catch (e) {
    throw new Error(`node-llama-cpp is not installed (${(e as Error).message.split('\n')[0]})`);
  }
  // maxThreads 0: the context's thread count is used exactly, not as a hint.
  const llama = await nlc.getLlama({ build: 'never', gpu: false, logLevel: nlc.LlamaLogLevel.error, progressLogs: false, maxThreads: 0 });
  const longest = Math.max(...job.prompts);
  const contextSize = Math.max(longest + job.gen, 8 + warmupDecodeSteps()) + 8; // as our side
  const rss0 = rssMiB();
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: job.modelPath, gpuLayers: 0 });
  try {
    const loadS = seconds(t0);
    const ctx = await model.createContext({ contextSize, batchSize: longest, threads: job.threads, flashAttention: true, sequences: 1 });
    const seq = ctx.getSequence();
    const nVocab = vocabSize(model);
    const tokens = (n: number): Token[] => randomPromptIds(n, nVocab, job.seed) as Token[];
    // Warm-up, as our side's: pages the mmap'd weights in, then as many decode steps.
    let warmed = 0;
    for await (const _ of seq.evaluate(randomPromptIds(Math.min(8, longest), nVocab, job.seed + 1) as Token[], { temperature: 0 })) {
      if (++warmed >= warmupDecodeSteps()) break;
    }
    const rss = rssMiB() - rss0;
    await seq.clearHistory();

    const pp: Record<string, number> = {};
    for (const n of job.prompts) {
      const ids = tokens(n);
      let best = Infinity;
      for (let r = 0; r < job.reps; r++) {
        await seq.clearHistory();
        const t = performance.now();
        await seq.evaluateWithoutGeneratingNewTokens(ids);
        best = Math.min(best, seconds(t));
      }
      pp[String(n)] = n / best;
    }

    await seq.clearHistory();
    const t = performance.now();
    let ttftMs = 0;
    let tg0 = 0;
    let produced = 0;
    for await (const _ of seq.evaluate(tokens(job.prompts[0]), { temperature: 0 })) {
      if (produced === 0) { ttftMs = performance.now() - t; tg0 = performance.now(); }
      if (produced === job.gen) break;
      produced++;
    }
    const tg = job.gen / seconds(tg0);
    const info = `llama.cpp ${llama.llamaCppRelease.release} (${llama.buildType}), ${ctx.currentThreads} threads, flash attention`;
    await ctx.dispose();
    const tgBatch = job.streams > 1 ? await measureBatchedDecode(model, job, nVocab) : undefined;
    return { rss_mb: rss, load_s: loadS, pp, tg, ttft_ms: ttftMs, ...(tgBatch !== undefined ? { tg_batch: tgBatch } : {}), info };
  } finally {
    await model.dispose();
    await llama.dispose();
  }
}

/**
 * tg_batch on llama.cpp: a context with job.streams sequences; each step evaluates one token on
 * every sequence at once, which node-llama-cpp's batching (dispatch on the next cycle) puts in one
 * llama_decode, as llama.cpp's server batches its slots.
 */
async function measureBatchedDecode(model: import('node-llama-cpp').LlamaModel, job: BenchJob, nVocab: number): Promise<number> {
  const warm = warmupDecodeSteps();
  const prompt = randomPromptIds(job.prompts[0], nVocab, job.seed) as Token[];
  const perSequence = prompt.length + warm + job.gen + 8;
  const ctx = await model.createContext({
    contextSize: perSequence, batchSize: Math.max(prompt.length, job.streams), threads: job.threads, flashAttention: true, sequences: job.streams,
  });
  try {
    const seqs = Array.from({ length: job.streams }, () => ctx.getSequence());
    for (const q of seqs) await q.evaluateWithoutGeneratingNewTokens(prompt);
    const steps = batchedDecodeIds(job.streams, warm + job.gen, nVocab, job.seed + 2);
    let t0 = 0;
    for (let i = 0; i < steps.length; i++) {
      if (i === warm) t0 = performance.now();
      await Promise.all(seqs.map((q, k) => q.evaluateWithoutGeneratingNewTokens([steps[i]![k]!] as Token[])));
    }
    return (job.streams * job.gen) / seconds(t0);
  } finally {
    await ctx.dispose();
  }
}

function vocabSize(model: import('node-llama-cpp').LlamaModel): number {
  const tokens = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } }).tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new Error(`${model.filename ?? 'model'}: no tokenizer.ggml.tokens in the GGUF metadata`);
  return tokens.length;
}
