// llama.cpp's side of the server load test: the same workload as bench/server-load.ts (S streams,
// each R completions one after another: the same prompts with BOS, max tokens with the end token
// banned, the server's default sampling) through node-llama-cpp in one process: S sequences of one
// context, whose steps node-llama-cpp batches into one llama_decode, as llama.cpp's server batches
// its slots. No HTTP on this side, so it is a reference for what batching buys llama.cpp on this
// machine, not a server against a server.
//
//   node dist/bench/llamacpp-streams.js '<LlamaStreamsJob JSON>'   (prints one JSON line per run)
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { SERVER_SAMPLING_DEFAULTS } from '../src/server/request.js';
import { loadRequest, percentile } from './load-prompts.js';

export interface LlamaStreamsJob {
  model: string;
  /** Stream counts to run, in order (repeats allowed, as the server runs). */
  streams: number[];
  requestsPerStream: number;
  maxTokens: number;
  threads: number;
}

export interface LlamaStreamsRun {
  streams: number;
  completionTokens: number;
  wallSeconds: number;
  tokensPerSecond: number;
  p50Ms: number;
  p95Ms: number;
}

async function oneStream(model: LlamaModel, seq: LlamaContextSequence, s: number, job: LlamaStreamsJob, requests: number, latencies: number[]): Promise<number> {
  const nlc = await import('node-llama-cpp');
  const bias = new nlc.TokenBias(model.tokenizer);
  for (const t of [model.tokens.eos, model.tokens.eot]) if (t !== null) bias.set(t, 'never');
  let tokens = 0;
  for (let r = 0; r < requests; r++) {
    const { prompt, seed } = loadRequest(s, r, requests);
    const start = performance.now();
    await seq.clearHistory();
    const ids = [...(model.tokens.bos !== null ? [model.tokens.bos] : []), ...model.tokenize(prompt)] as Token[];
    let n = 0;
    const d = SERVER_SAMPLING_DEFAULTS;
    for await (const _ of seq.evaluate(ids, { temperature: d.temp, topK: d.topK, topP: d.topP, minP: d.minP, seed, tokenBias: bias, yieldEogToken: true })) {
      if (++n >= job.maxTokens) break;
    }
    latencies.push(performance.now() - start);
    tokens += n;
  }
  return tokens;
}

async function runJob(job: LlamaStreamsJob): Promise<void> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  const nlc = await import('node-llama-cpp');
  // maxThreads 0: the context's thread count is used exactly (as in the speed benchmark)
  const llama = await nlc.getLlama({ build: 'never', gpu: false, logLevel: nlc.LlamaLogLevel.error, progressLogs: false, maxThreads: 0 });
  const model = await llama.loadModel({ modelPath: job.model, gpuLayers: 0 });
  const maxStreams = Math.max(...job.streams);
  // 256 tokens per sequence, as the server's --ctx 256 per slot
  const ctx = await model.createContext({ contextSize: 256, batchSize: 256, threads: job.threads, flashAttention: true, sequences: maxStreams });
  const seqs = Array.from({ length: maxStreams }, () => ctx.getSequence());
  const run = async (streams: number, requests: number): Promise<LlamaStreamsRun> => {
    const latencies: number[] = [];
    const t0 = performance.now();
    const counts = await Promise.all(seqs.slice(0, streams).map((seq, s) => oneStream(model, seq, s, job, requests, latencies)));
    const wallSeconds = (performance.now() - t0) / 1000;
    const completionTokens = counts.reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    return { streams, completionTokens, wallSeconds, tokensPerSecond: completionTokens / wallSeconds, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95) };
  };
  try {
    for (const s of new Set(job.streams)) await run(s, 10); // warm-up, as the server's
    for (const s of job.streams) process.stdout.write(`${JSON.stringify(await run(s, job.requestsPerStream))}\n`);
  } finally {
    await ctx.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** Runs the job in a child process (alone on the machine once the tsllama server has stopped). */
export function measureLlamaCppStreams(job: LlamaStreamsJob): Promise<LlamaStreamsRun[]> {
  const entry = fileURLToPath(import.meta.url);
  return new Promise((resolveRuns, reject) => {
    execFile(process.execPath, [entry, JSON.stringify(job)], { timeout: 30 * 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const runs = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LlamaStreamsRun);
      if (err && runs.length < job.streams.length) return reject(new Error(`llama.cpp load run failed: ${stderr.trim().split('\n').pop() ?? err.message}`));
      resolveRuns(runs);
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  if (!arg) {
    console.error('usage: llamacpp-streams.js <LlamaStreamsJob JSON>');
    process.exitCode = 2;
  } else {
    runJob(JSON.parse(arg) as LlamaStreamsJob).catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exitCode = 1; });
  }
}
