// tsllama tune: times kernel variants (GEMM token block; on several threads, the rows per job of a
// prefill matmul) on this machine and caches the winners, which later runs read (unless --no-tune).
import { WasmKernels } from '../kernels/wasm/backend.js';
import { machineKey, tuneCachePath, writeTuning } from '../kernels/wasm/tune-cache.js';
import { Arena, createSharedMemory } from '../runtime/memory.js';
import { defaultThreadCount } from '../runtime/threads.js';
import { optionsHelp, parseArgs } from './args.js';
import { UsageError } from './errors.js';

const SPEC = {
  threads: { type: 'number', short: 't', help: 'threads to tune for (default: TSLLAMA_THREADS or all cores)' },
  format: { type: 'string', default: 'q8', help: 'weight format to time: f32 | f16 | q8 | q4' },
  reps: { type: 'number', default: 5, help: 'timed repetitions per candidate (median)' },
  json: { type: 'boolean', help: 'print the result as JSON' },
  'dry-run': { type: 'boolean', help: 'measure but do not write the cache' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const usage = `usage: tsllama tune [options]\n\n${optionsHelp(SPEC)}\n\nCache: ${tuneCachePath()}`;

export async function run(argv: string[]): Promise<number> {
  const { options: o } = parseArgs(argv, SPEC);
  if (o.help) { console.log(usage); return 0; }
  const format = o.format ?? 'q8';
  if (!['f32', 'f16', 'q8', 'q4'].includes(format)) throw new UsageError(`--format must be f32, f16, q8 or q4, got "${format}"`);
  const threads = o.threads ?? defaultThreadCount();
  const memory = createSharedMemory(64 << 20);
  const kernels = await WasmKernels.create({ memory, arena: new Arena(memory), threads });
  try {
    const results: { tokenBlock: number; ms: number }[] = [];
    const chunkResults: { prefillChunks: number; ms: number }[] = [];
    if (!o.json) console.error(`tuning ${format} GEMM token block${threads > 1 ? ' and chunks per thread' : ''} on ${threads} thread(s), ${kernels.name}…`);
    const tuning = kernels.tune({
      format: format as 'f32' | 'f16' | 'q8' | 'q4',
      reps: o.reps,
      onResult: (tokenBlock, ms) => {
        results.push({ tokenBlock, ms });
        if (!o.json) console.error(`  token block ${String(tokenBlock).padStart(3)}: ${ms.toFixed(2)} ms`);
      },
      onChunksResult: (prefillChunks, ms) => {
        chunkResults.push({ prefillChunks, ms });
        if (!o.json) console.error(`  chunks per thread ${String(prefillChunks).padStart(2)}: ${ms.toFixed(2)} ms`);
      },
    });
    const key = machineKey(kernels.name, threads);
    if (!o['dry-run']) writeTuning(key, tuning);
    if (o.json) console.log(JSON.stringify({ key, tuning, results, chunkResults, cache: o['dry-run'] ? null : tuneCachePath() }));
    else {
      const chosen = `token block ${tuning.tokenBlock}${threads > 1 ? `, ${tuning.prefillChunks} chunks per thread` : ''}`;
      console.log(`best: ${chosen}${o['dry-run'] ? ' (not saved)' : ` — saved to ${tuneCachePath()}`}`);
    }
    return 0;
  } finally {
    await kernels.dispose();
  }
}
