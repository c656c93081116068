// Shapes shared by the benchmark's orchestrator, its child processes and its formatters.
import type { QuantMode } from '../model/quant-mode.js';

export type BenchSide = 'ours' | 'llamacpp';
export type BenchBackend = 'wasm' | 'scalar';

/** One child process's work: one engine, one model file, one thread count. */
export interface BenchJob {
  side: BenchSide;
  modelPath: string;
  /** Our in-memory format (llama.cpp runs the file as stored). */
  quant: QuantMode;
  threads: number;
  backend: BenchBackend;
  /** Prompt lengths for prefill (each evaluated as one batch). */
  prompts: number[];
  /** Decode steps for generation speed. */
  gen: number;
  /** Seed of the random prompt ids. */
  seed: number;
  /** Timed repetitions of each prefill (the best is kept). */
  reps: number;
  /**
   * Sequences that decode together for the batched generation figure (tg_batch): each one token
   * per step, all in one forward pass, as the server decodes its streams. ≤ 1: not measured.
   */
  streams: number;
}

/** What one engine measured in one configuration. */
export interface SideResult {
  /** Resident-set growth from before the model load to after load + context + warm-up, MiB. */
  rss_mb: number;
  load_s: number;
  /** Prefill tokens/s per prompt length ("128" → t/s). */
  pp: Record<string, number>;
  /** Generation tokens/s over `gen` decode steps after a prompt of the first length. */
  tg: number;
  /** Prefill of the first prompt length plus the first greedy token, ms. */
  ttft_ms: number;
  /**
   * Aggregate generation tokens/s of BenchJob.streams sequences decoding together (one token each
   * per step, one batched forward per step) after a prompt of the first length each; absent when
   * streams ≤ 1.
   */
  tg_batch?: number;
  /** Extra facts (kernel name, llama.cpp build). */
  info?: string;
}

export interface BenchRow {
  mode: QuantMode;
  threads: number;
  /** The file each side ran. */
  files: { ours: string; llamacpp: string };
  ours: SideResult | { error: string };
  llamacpp: SideResult | { error: string } | null;
  /** llama.cpp's generation: best over thread counts 1..threads, and the count that won. */
  llamacppTgBest?: { tg: number; threads: number };
  /** The same for llama.cpp's batched generation (tg_batch). */
  llamacppBatchBest?: { tg: number; threads: number };
}

export interface BenchReport {
  model: string;
  preset?: string;
  backend: BenchBackend;
  prompts: number[];
  gen: number;
  seed: number;
  /** Child processes per configuration and engine; each figure is the best of them. */
  rounds: number;
  /** Sequences of the batched generation figure (≤ 1: not measured). */
  streams: number;
  cpu: string;
  cores: number;
  node: string;
  rows: BenchRow[];
}

export function isResult(r: SideResult | { error: string } | null | undefined): r is SideResult {
  return !!r && !('error' in r);
}
