// `tsllama pull [<ref>]`: download a model into the local cache and print its path.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { DEFAULT_MODEL, formatBytes, hubConfig, pullModel } from '../hub/index.js';
import { hubCallbacks } from './progress.js';

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q', help: 'no progress or notes; print only the path' },
  offline: { type: 'boolean', help: 'use the cache only, never the network (also TSLLAMA_OFFLINE=1)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama pull [<model>] [options]

Downloads a model into the cache and prints its path. <model> is one of
  hf:<user>/<repo>[:<quant>]     e.g. hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q8_0 (no quant: Q8_0, else Q4_K_M)
  hf:<user>/<repo>/<file.gguf>   one file of a repository
  https://…/<file.gguf>          any URL
Without <model>: ${DEFAULT_MODEL}.

options:
${optionsHelp(OPTIONS)}

environment: TSLLAMA_CACHE (default ~/.cache/tsllama), TSLLAMA_HF_ENDPOINT (default https://huggingface.co),
HF_TOKEN (access token for gated or private repositories), TSLLAMA_OFFLINE=1, TSLLAMA_PROGRESS=tty|plain|off.
An interrupted download resumes where it stopped when run again.`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  if (positionals.length > 1) throw new UsageError(`pull takes one model, got ${positionals.length}: ${positionals.join(' ')}`);
  const ref = positionals[0] ?? DEFAULT_MODEL;
  const callbacks = hubCallbacks({ quiet: options.quiet });
  const note = (m: string) => callbacks.onNote?.(m);
  if (!positionals[0]) note(`no model given: pulling the default, ${DEFAULT_MODEL}`);

  const result = await pullModel(ref, { offline: options.offline || undefined, ...callbacks });
  if (result.downloaded > 0) {
    const resumed = result.bytes - result.downloaded;
    note(`pulled ${result.ref} (${formatBytes(result.bytes)}${resumed > 0 ? `, resumed after ${formatBytes(resumed)}` : ''}) into ${hubConfig().cacheDir}`);
  }
  console.log(result.path);
  return 0;
}
