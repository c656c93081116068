// tsllama run <model> [prompt]: generate text, streaming it to stdout.
import { existsSync } from 'node:fs';
import { DEFAULT_MODEL, isModelRef } from '../hub/index.js';
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { MODEL_OPTIONS, openModel } from './model-options.js';
import { GREEDY, samplingOptions, samplingParams } from './sampling-options.js';

const SPEC = {
  ...MODEL_OPTIONS,
  'n-predict': { type: 'number', short: 'n', default: 128, help: 'tokens to generate (-1: until end of text)' },
  ...samplingOptions(GREEDY),
  'no-bos': { type: 'boolean', help: 'do not add BOS to the prompt' },
  stats: { type: 'boolean', help: 'print n_prompt, n_gen, ttft, prefill/gen t/s, memory to stderr' },
  json: { type: 'boolean', help: 'print one JSON object (ids, text, stats) instead of streaming text' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const usage = `usage: tsllama run [<model.gguf | hf:user/repo[:quant]>] [prompt] [options]\n\n${optionsHelp(SPEC)}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options: o } = parseArgs(argv, SPEC);
  if (o.help) { console.log(usage); return 0; }
  let [modelRef, ...promptParts] = positionals;
  // `tsllama run "prompt"` with no model: the default model.
  if (modelRef !== undefined && promptParts.length === 0 && !existsSync(modelRef) && !isModelRef(modelRef) && !modelRef.endsWith('.gguf')) {
    promptParts = [modelRef];
    modelRef = DEFAULT_MODEL;
    if (!o.quiet) console.error(`tsllama: no model given, using the default ${DEFAULT_MODEL}`);
  }
  if (!modelRef) throw new UsageError(`no model given\n${usage}`);
  const prompt = promptParts.join(' ');

  const model = await openModel(modelRef, o);
  try {
    const session = model.createSession();
    const promptIds = model.encode(prompt, { addSpecial: !o['no-bos'] });
    const ids: number[] = [];
    let text = '';
    for await (const tok of session.generate(promptIds, {
      maxTokens: o['n-predict'],
      ...samplingParams(o),
    })) {
      if (tok.id >= 0) ids.push(tok.id);
      text += tok.text;
      if (!o.json) process.stdout.write(tok.text);
    }
    const stats = session.stats();
    if (o.json) {
      console.log(JSON.stringify({
        prompt_ids: promptIds, ids, text,
        n_prompt: stats.n_prompt, n_gen: stats.n_gen, ttft_s: stats.ttft_s,
        prefill_tps: stats.prefill_tps, gen_tps: stats.gen_tps, rss_mb: stats.rss_mb,
        quant: model.quant, threads: model.threads, stop_reason: session.lastStopReason,
      }));
    } else {
      process.stdout.write('\n');
    }
    if (o.stats) {
      console.error(
        `n_prompt=${stats.n_prompt} n_gen=${stats.n_gen} ttft=${(stats.ttft_s * 1000).toFixed(1)} ms ` +
        `prefill=${stats.prefill_tps.toFixed(1)} t/s gen=${stats.gen_tps.toFixed(1)} t/s ` +
        `rss=${stats.rss_mb.toFixed(1)} MiB wasm=${stats.wasm_mb.toFixed(1)} MiB quant=${model.quant} threads=${model.threads}`,
      );
    }
    session.dispose();
    return 0;
  } finally {
    await model.dispose();
  }
}
