// tsllama embed <model> <text...>: print one embedding per text (each argument is one text;
// with no text arguments, each line of a piped stdin is one).
import { readFileSync } from 'node:fs';
import { cosineSimilarity, defaultPooling, embed, POOLINGS, type Pooling } from '../model/embed.js';
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { MODEL_OPTIONS, openModel } from './model-options.js';

const SPEC = {
  ...MODEL_OPTIONS,
  pooling: { type: 'string', help: `how token vectors become one: ${POOLINGS.join(' | ')} (default: the model's, else mean)` },
  'no-normalize': { type: 'boolean', help: 'print raw pooled vectors instead of unit-length ones' },
  json: { type: 'boolean', help: 'print one JSON object: { model, pooling, dim, embeddings }' },
  similarity: { type: 'boolean', help: 'also print the cosine similarity of every pair of texts' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const usage = `usage: tsllama embed <model.gguf | hf:user/repo[:quant]> <text...> [options]\n\n${optionsHelp(SPEC)}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options: o } = parseArgs(argv, SPEC);
  if (o.help) { console.log(usage); return 0; }
  const [modelRef, ...args] = positionals;
  if (!modelRef) throw new UsageError(`no model given\n${usage}`);
  const texts = args.length > 0 ? args : process.stdin.isTTY ? [] : readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (texts.length === 0) throw new UsageError(`no text to embed: give texts as arguments or lines on stdin\n${usage}`);
  if (o.pooling !== undefined && !POOLINGS.includes(o.pooling as Pooling)) {
    throw new UsageError(`--pooling must be one of ${POOLINGS.join(', ')}, got "${o.pooling}"`);
  }

  const model = await openModel(modelRef, o);
  try {
    const pooling = (o.pooling as Pooling | undefined) ?? defaultPooling(model);
    const vectors = await embed(model, texts, { pooling, normalize: !o['no-normalize'] });
    const similarity = o.similarity ? vectors.map((a) => vectors.map((b) => cosineSimilarity(a, b))) : undefined;
    if (o.json) {
      console.log(JSON.stringify({
        model: modelRef, pooling, normalized: !o['no-normalize'], dim: model.config.dim,
        embeddings: vectors.map((v) => Array.from(v)), ...(similarity ? { similarity } : {}),
      }));
      return 0;
    }
    for (const v of vectors) console.log(Array.from(v, (x) => x.toFixed(6)).join(' '));
    if (similarity) {
      console.log('\ncosine similarity:');
      for (const row of similarity) console.log(row.map((x) => x.toFixed(4).padStart(7)).join(' '));
    }
    return 0;
  } finally {
    await model.dispose();
  }
}
