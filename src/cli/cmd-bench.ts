// `tsllama bench [model.gguf]`: prefill / generation speed, ttft and resident memory per quant mode
// and thread count, beside llama.cpp (node-llama-cpp) on the same weights.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { formatJson, formatMarkdown } from '../bench/format.js';
import { benchCacheDir } from '../bench/models.js';
import { runBench, type BenchOptions } from '../bench/run.js';
import { parseQuantMode } from '../model/quant-mode.js';
import { PRESETS, presetNames } from '../synth/presets.js';

const OPTIONS = {
  prompt: { type: 'list', short: 'p', help: 'prefill lengths, each run as one batch (default 128,512)' },
  gen: { type: 'number', short: 'n', help: 'generated tokens for tg (default 64)' },
  streams: { type: 'number', help: 'sequences decoding together for the batched tg figure, as the server batches its streams (default 4; 1 skips it)' },
  quant: { type: 'list', default: 'fp32,q8,q4', help: 'tsllama quant modes (llama.cpp runs F32 / Q8_0 / Q4_0 files)' },
  threads: { type: 'list', short: 't', help: 'thread counts (default 1,2)' },
  preset: { type: 'string', help: `synthetic model when no file is given: ${presetNames().join(', ')} (default smollm2-135m)` },
  backend: { type: 'string', default: 'wasm', help: 'tsllama kernels: wasm, scalar, or auto (wasm when it loads)' },
  llamacpp: { type: 'boolean', default: true, help: 'also measure llama.cpp (--no-llamacpp to skip)' },
  json: { type: 'boolean', help: 'print JSON instead of a Markdown table' },
  quick: { type: 'boolean', help: 'a small smoke run: tiny preset, -p 32 -n 8 -t 1, one repetition' },
  seed: { type: 'number', default: 42, help: 'seed of the random prompt ids' },
  reps: { type: 'number', help: 'timed repetitions of each prefill, best kept (default 2)' },
  rounds: { type: 'number', help: 'fresh child processes per configuration and engine, alternating engines; each figure keeps its best (default 2; --quick: 1)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama bench [model.gguf] [options]

Without a model, writes a seeded synthetic model (default: SmolLM2-135M-shaped) to
${benchCacheDir()} once, as F32, Q8_0 and Q4_0 files, and benchmarks each mode on the file of
the matching format. Every configuration runs in its own child process, one at a time.

options:
${optionsHelp(OPTIONS)}`;

function positiveInts(list: string[] | undefined, name: string): number[] {
  const out = (list ?? []).map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--${name} needs positive integers, got "${(list ?? []).join(',')}"`);
  return out;
}

export function benchOptionsFromArgs(argv: string[], log: (s: string) => void): (BenchOptions & { json: boolean }) | null {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) return null;
  if (positionals.length > 1) throw new UsageError(`bench takes at most one model file, got: ${positionals.join(' ')}`);
  // --quick only changes the defaults; explicit options still win.
  const quick = options.quick;
  const preset = options.preset ?? (quick ? 'tiny' : 'smollm2-135m');
  if (!(preset in PRESETS)) throw new UsageError(`unknown preset "${preset}" (available: ${presetNames().join(', ')})`);
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'scalar' && backend !== 'auto') throw new UsageError(`unknown --backend "${backend}" (expected wasm, scalar or auto)`);
  let quants;
  try {
    quants = (options.quant ?? []).map(parseQuantMode);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (quants.length === 0) throw new UsageError('--quant needs at least one mode');
  const gen = options.gen ?? (quick ? 8 : 64);
  if (!Number.isInteger(gen) || gen < 1) throw new UsageError(`--gen needs a positive integer, got ${gen}`);
  const reps = options.reps ?? (quick ? 1 : 2);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps needs a positive integer, got ${reps}`);
  const rounds = options.rounds ?? (quick ? 1 : 2);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds needs a positive integer, got ${rounds}`);
  const streams = options.streams ?? 4;
  if (!Number.isInteger(streams) || streams < 1) throw new UsageError(`--streams needs a positive integer, got ${streams}`);
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new UsageError(`--seed needs an integer, got ${seed}`);
  return {
    model: positionals[0],
    preset,
    prompts: positiveInts(options.prompt ?? (quick ? ['32'] : ['128', '512']), 'prompt'),
    gen,
    quants,
    threads: positiveInts(options.threads ?? (quick ? ['1'] : ['1', '2']), 'threads'),
    backend,
    llamacpp: options.llamacpp,
    seed,
    reps,
    rounds,
    streams,
    cacheDir: benchCacheDir(),
    log,
    json: options.json,
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = benchOptionsFromArgs(argv, (s) => console.error(s));
  if (!parsed) { console.log(usage); return 0; }
  const { json, ...opts } = parsed;
  const report = await runBench(opts);
  console.log(json ? formatJson(report) : formatMarkdown(report));
  return 0;
}
