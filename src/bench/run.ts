// Orchestrates `tsllama bench`: for each quant mode and thread count, one child process measures
// tsllama and another measures llama.cpp (node-llama-cpp) on the same file format, one at a time so
// they never compete for the cores and each one's resident memory is its own.
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createKernels } from '../kernels/index.js';
import type { QuantMode } from '../model/quant-mode.js';
import { Arena, createSharedMemory } from '../runtime/memory.js';
import { bestOf } from './merge.js';
import { ensureSynthModel, FILE_TYPE_FOR_MODE } from './models.js';
import { isResult, type BenchBackend, type BenchJob, type BenchReport, type BenchRow, type SideResult } from './types.js';

export interface BenchOptions {
  /** A GGUF file both engines run in every mode; default: the synthetic `preset`. */
  model?: string;
  preset: string;
  prompts: number[];
  gen: number;
  quants: QuantMode[];
  threads: number[];
  /** 'auto': the WASM kernels when they load here, else the scalar oracle. */
  backend: BenchBackend | 'auto';
  llamacpp: boolean;
  seed: number;
  reps: number;
  /** Child processes per configuration and engine, alternating engines; each figure keeps its best (merge.ts). */
  rounds: number;
  /** Sequences decoding together for the batched generation figure (≤ 1: skipped). */
  streams: number;
  cacheDir: string;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const CHILD_TIMEOUT_MS = 20 * 60 * 1000;

/** Runs one job in a fresh Node process. */
export function runChild(job: BenchJob): Promise<SideResult | { error: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CHILD, JSON.stringify(job)], { timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        const msg = JSON.parse(last) as { ok?: SideResult; error?: string };
        if (msg.ok) return resolve(msg.ok);
        if (msg.error) return resolve({ error: msg.error });
      } catch { /* fall through: the child died without its JSON line */ }
      const why = err?.killed ? `timed out after ${CHILD_TIMEOUT_MS / 1000}s` : (stderr.trim().split('\n').pop() || err?.message || 'no output');
      resolve({ error: `${job.side} child failed: ${why}` });
    });
  });
}

/** 'wasm' if the WASM kernels instantiate in this process, else 'scalar'. */
export async function resolveBackend(b: BenchBackend | 'auto'): Promise<BenchBackend> {
  if (b !== 'auto') return b;
  try {
    const memory = createSharedMemory();
    const k = await createKernels({ backend: 'wasm', memory, arena: new Arena(memory), threads: 1 });
    await k.dispose();
    return 'wasm';
  } catch {
    return 'scalar';
  }
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const backend = await resolveBackend(o.backend);
  const fileFor = (mode: QuantMode): string => o.model ?? ensureSynthModel(o.preset, FILE_TYPE_FOR_MODE[mode], o.cacheDir, 1, o.log);
  const base = { backend, prompts: o.prompts, gen: o.gen, seed: o.seed, reps: o.reps, streams: o.streams };
  const rows: BenchRow[] = [];
  const maxThreads = Math.max(...o.threads);
  for (const mode of o.quants) {
    const file = fileFor(mode);
    // llama.cpp at every count 1..max: each row's generation figure is its best over 1..threads.
    const llama = new Map<number, SideResult | { error: string }>();
    const ours = new Map<number, SideResult | { error: string }>();
    const keep = (m: Map<number, SideResult | { error: string }>, t: number, r: SideResult | { error: string }): void => {
      const before = m.get(t);
      m.set(t, before ? bestOf(before, r) : r);
    };
    for (let round = 1; round <= o.rounds; round++) {
      const of = o.rounds > 1 ? ` (round ${round} of ${o.rounds})` : '';
      if (o.llamacpp) {
        for (let t = 1; t <= maxThreads; t++) {
          o.log(`llama.cpp ${mode} (${file.split('/').pop()}), ${t} thread${t > 1 ? 's' : ''}${of}`);
          keep(llama, t, await runChild({ ...base, side: 'llamacpp', modelPath: file, quant: mode, threads: t }));
        }
      }
      for (const t of o.threads) {
        o.log(`tsllama ${mode} (${backend}), ${t} thread${t > 1 ? 's' : ''}${of}`);
        keep(ours, t, await runChild({ ...base, side: 'ours', modelPath: file, quant: mode, threads: t }));
      }
    }
    for (const t of o.threads) {
      const row: BenchRow = { mode, threads: t, files: { ours: file, llamacpp: file }, ours: ours.get(t)!, llamacpp: o.llamacpp ? llama.get(t) ?? null : null };
      const best = bestOverThreads(llama, t, (r) => r.tg);
      if (best) row.llamacppTgBest = best;
      const batchBest = bestOverThreads(llama, t, (r) => r.tg_batch);
      if (batchBest) row.llamacppBatchBest = batchBest;
      rows.push(row);
    }
  }
  return {
    model: o.model ?? `synthetic ${o.preset} (seed 1)`,
    preset: o.model ? undefined : o.preset,
    backend,
    prompts: o.prompts,
    gen: o.gen,
    seed: o.seed,
    rounds: o.rounds,
    streams: o.streams,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    rows,
  };
}

/**
 * llama.cpp's best figure over thread counts 1..t and the count that won: node-llama-cpp's own JS
 * thread competes with llama.cpp's, so on a small machine its generation can be slower with more
 * threads; rows compare with its best at up to the same count.
 */
function bestOverThreads(
  results: Map<number, SideResult | { error: string }>, t: number, figure: (r: SideResult) => number | undefined,
): { tg: number; threads: number } | undefined {
  let best: { tg: number; threads: number } | undefined;
  for (let u = 1; u <= t; u++) {
    const r = results.get(u);
    const v = isResult(r) ? figure(r) : undefined;
    if (v !== undefined && (!best || v > best.tg)) best = { tg: v, threads: u };
  }
  return best;
}
