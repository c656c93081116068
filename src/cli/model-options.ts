// Options every model-loading command shares, and loading with a progress bar on a terminal.
import { resolveModel } from '../hub/index.js';
import { loadModel, type Model } from '../index.js';
import { parseQuantMode } from '../model/quant-mode.js';
import { parseKvType } from '../session/kv-cache.js';
import type { OptionSpec } from './args.js';
import { UsageError } from './errors.js';
import { createProgress, downloadReporter, progressMode, type Progress } from './progress.js';

/** Below this size a non-terminal load prints no progress lines (they would be noise). */
const PLAIN_PROGRESS_MIN_BYTES = 64 << 20;

export const MODEL_OPTIONS = {
  threads: { type: 'number', short: 't', help: 'threads incl. the main one (default: TSLLAMA_THREADS or all cores)' },
  quant: { type: 'string', short: 'q', default: 'q8', help: 'in-memory weights: fp32 | q8 | q4' },
  ctx: { type: 'number', short: 'c', help: 'context length (default: min(4096, the model\'s))' },
  'kv-type': { type: 'string', default: 'f16', help: 'KV cache precision: f16 (as llama.cpp) | f32 (twice the memory, exact, faster attention at long contexts)' },
  'fast-math': { type: 'boolean', help: 'let kernels reorder sums for speed' },
  'no-tune': { type: 'boolean', help: 'ignore the tuner\'s cached kernel choices' },
  quiet: { type: 'boolean', help: 'no load progress' },
} satisfies Record<string, OptionSpec>;

export interface ModelCliOptions {
  threads?: number;
  quant?: string;
  ctx?: number;
  'kv-type'?: string;
  'fast-math'?: boolean;
  'no-tune'?: boolean;
  quiet?: boolean;
}

export async function openModel(ref: string, o: ModelCliOptions): Promise<Model> {
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) throw new UsageError(`--threads must be a positive integer, got ${o.threads}`);
  if (o.ctx !== undefined && (!Number.isInteger(o.ctx) || o.ctx < 1)) throw new UsageError(`--ctx must be a positive integer, got ${o.ctx}`);
  const quant = parseQuantMode(o.quant ?? 'q8');
  let kvType;
  try {
    kvType = parseKvType(o['kv-type'] ?? 'f16');
  } catch (e) {
    throw new UsageError(`--kv-type: ${(e as Error).message}`);
  }
  const path = await resolveModel(ref, o.quiet ? {} : {
    onProgress: downloadReporter(),
    onNote: (message) => console.error(`tsllama: ${message}`),
  });
  let progress = null as Progress | null;
  try {
    return await loadModel(path, {
      quant,
      threads: o.threads,
      contextLength: o.ctx,
      kvType,
      fastMath: o['fast-math'],
      tune: !o['no-tune'],
      onProgress: o.quiet ? undefined : (done, total) => {
        if (progressMode(process.stderr) === 'plain' && total < PLAIN_PROGRESS_MIN_BYTES) return;
        if (progressMode(process.stderr) === 'off') return;
        progress ??= createProgress({ label: 'loading', total });
        progress.update(done);
      },
    });
  } catch (e) {
    progress?.fail();
    progress = null;
    throw e;
  } finally {
    progress?.done();
  }
}
