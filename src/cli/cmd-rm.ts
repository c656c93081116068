// `tsllama rm <model>...`: delete models from the local cache.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { listCached, removeCachedPaths } from '../hub/index.js';
import { nearMatches } from '../hub/suggest.js';

const OPTIONS = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama rm <model>...

Removes models from the cache. <model> is a reference as \`tsllama list\` prints it
(hf:<user>/<repo>/<file.gguf>, hf:<user>/<repo>:<quant>, a URL), a file name with or without
.gguf, or <user>/<repo> when a single file of that repository is cached.

options:
${optionsHelp(OPTIONS)}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  if (positionals.length === 0) throw new UsageError('rm needs a model to remove (see `tsllama list`)');
  let failed = 0;
  for (const name of positionals) {
    const removed = removeCachedPaths(name);
    if (removed.length > 0) {
      for (const p of removed) console.log(`removed ${p}`);
      continue;
    }
    failed++;
    const cached = listCached({ arch: false });
    const isRef = /^(hf:|https?:\/\/)/i.test(name);
    const near = nearMatches(name, cached.map((m) => (isRef ? m.ref : m.name)), 3);
    console.error(`tsllama: error: ${name} is not in the cache${near.length ? `; did you mean ${near.join(', ')}?` : cached.length ? '' : ' (the cache is empty)'}`);
  }
  return failed ? 1 : 0;
}
