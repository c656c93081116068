// tsllama's side of one benchmark configuration (runs inside a child process, alone).
import { loadModel, Session, type Model } from '../index.js';
import { argmax, batchedDecodeIds, randomPromptIds, rssMiB, seconds, warmupDecodeSteps } from './prompt.js';
import type { BenchJob, SideResult } from './types.js';

export async function measureOurs(job: BenchJob): Promise<SideResult> {
  const longest = Math.max(...job.prompts);
  const nCtx = Math.max(longest + job.gen, 8 + warmupDecodeSteps()) + 8; // the warm-up session fits too
  const rss0 = rssMiB();
  const t0 = performance.now();
  const model = await loadModel(job.modelPath, {
    quant: job.quant, threads: job.threads, backend: job.backend, contextLength: nCtx, maxBatch: Math.max(longest, job.streams),
  });
  try {
    const loadS = seconds(t0);
    const nVocab = model.config.nVocab;
    // Warm-up: touches the weights, compiles the hot paths, allocates the KV cache, and decodes
    // warmupDecodeSteps tokens.
    const warm = model.createSession({ contextLength: nCtx });
    warm.eval(randomPromptIds(Math.min(8, longest), nVocab, job.seed + 1));
    for (let i = 0; i < warmupDecodeSteps(); i++) warm.eval([argmax(warm.logits)]);
    const rss = rssMiB() - rss0;
    warm.dispose();

    const pp: Record<string, number> = {};
    for (const n of job.prompts) {
      const ids = randomPromptIds(n, nVocab, job.seed);
      let best = Infinity;
      for (let r = 0; r < job.reps; r++) {
        const s = model.createSession({ contextLength: nCtx });
        const t = performance.now();
        s.eval(ids);
        best = Math.min(best, seconds(t));
        s.dispose();
      }
      pp[String(n)] = n / best;
    }

    // ttft: prefill of the first prompt + the first greedy pick; then `gen` decode steps.
    const s = model.createSession({ contextLength: nCtx });
    const ids = randomPromptIds(job.prompts[0], nVocab, job.seed);
    const t = performance.now();
    let id = argmax(s.eval(ids));
    const ttftMs = performance.now() - t;
    const tg0 = performance.now();
    for (let i = 0; i < job.gen; i++) id = argmax(s.eval([id]));
    const tg = job.gen / seconds(tg0);
    s.dispose();
    const tgBatch = job.streams > 1 ? measureBatchedDecode(model, job) : undefined;
    return { rss_mb: rss, load_s: loadS, pp, tg, ttft_ms: ttftMs, ...(tgBatch !== undefined ? { tg_batch: tgBatch } : {}), info: `${model.kernels.name}, ${model.threads} threads${model.threads > 1 ? `, decode ${model.decodeThreadMode}` : ''}` };
  } finally {
    await model.dispose();
  }
}

/**
 * tg_batch: job.streams sessions, each after the first prompt, decode together: one token each per
 * step in one Session.evalBatch, as the server batches its streams. The warm-up steps settle the
 * thread mode of this step size (model/thread-mode.ts) before the timed ones.
 */
function measureBatchedDecode(model: Model, job: BenchJob): number {
  const nVocab = model.config.nVocab;
  const warm = warmupDecodeSteps();
  const prompt = randomPromptIds(job.prompts[0], nVocab, job.seed);
  const sessions = Array.from({ length: job.streams }, () => model.createSession({ contextLength: prompt.length + warm + job.gen + 8 }));
  try {
    for (const s of sessions) s.eval(prompt);
    const steps = batchedDecodeIds(job.streams, warm + job.gen, nVocab, job.seed + 2);
    let t0 = 0;
    steps.forEach((ids, i) => {
      if (i === warm) t0 = performance.now();
      Session.evalBatch(sessions.map((session, k) => ({ session, ids: [ids[k]!] })));
    });
    return (job.streams * job.gen) / seconds(t0);
  } finally {
    for (const s of sessions) s.dispose();
  }
}
