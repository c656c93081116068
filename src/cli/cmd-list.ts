// `tsllama list`: the models in the local cache with size and architecture.
import { parseArgs, optionsHelp } from './args.js';
import { formatBytes, hubConfig, listCached, type CachedModel } from '../hub/index.js';

const OPTIONS = {
  json: { type: 'boolean', help: 'print JSON instead of a table' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama list [options]

Lists the models in the cache (TSLLAMA_CACHE, default ~/.cache/tsllama): file name, size,
architecture and the reference to use with run/rm. Unfinished downloads show as partial.

options:
${optionsHelp(OPTIONS)}`;

function sizeColumn(m: CachedModel): string {
  if (!m.partial) return formatBytes(m.bytes);
  return m.total ? `${Math.floor((100 * m.bytes) / m.total)}% of ${formatBytes(m.total)}` : `${formatBytes(m.bytes)} so far`;
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  const models = listCached();
  if (options.json) {
    console.log(JSON.stringify(models, null, 2));
    return 0;
  }
  if (models.length === 0) {
    console.error(`no models cached in ${hubConfig().cacheDir}; get one with \`tsllama pull hf:<user>/<repo>[:<quant>]\``);
    return 0;
  }
  const rows = [['NAME', 'SIZE', 'ARCH', 'REFERENCE']];
  for (const m of models) rows.push([m.name, sizeColumn(m), m.partial ? '(partial)' : (m.arch ?? '?'), m.ref]);
  console.log(formatTable(rows));
  return 0;
}
