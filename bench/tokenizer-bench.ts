// Tokenizer throughput: encode ~1 MB of English-like text with every vocabulary at hand.
// Run: npx tsc -p tsconfig.json && node dist/bench/tokenizer-bench.js [vocab.gguf ...]
// The text is seeded random sentences over the words of the golden stories, so BPE's word cache sees
// a realistic mix of repeats and the SPM merger runs over one long fragment.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizerFromPath } from '../src/tokenizer/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.TSLLAMA_SHARED ?? resolve(repoRoot, '..', 'shared');

/** ~`bytes` of English-looking text: sentences of words drawn (seeded) from a source text. */
export function englishText(bytes: number, seed = 1): string {
  const golden = join(shared, 'golden', 'stories260K.json');
  const source = existsSync(golden)
    ? (JSON.parse(readFileSync(golden, 'utf8')) as { cases: { prompt: string; greedy_text: string }[] }).cases
      .map((c) => `${c.prompt} ${c.greedy_text}`).join(' ')
    : 'Once upon a time there was a little girl named Lily who loved to play outside in the park with her dog';
  const words = source.split(/\s+/).filter(Boolean);
  let s = seed >>> 0;
  const rand = (n: number): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const n = 6 + rand(12);
    const sentence = Array.from({ length: n }, () => words[rand(words.length)]).join(' ');
    const line = sentence[0].toUpperCase() + sentence.slice(1) + (rand(5) === 0 ? '.\n' : '. ');
    parts.push(line);
    size += line.length;
  }
  return parts.join('');
}

function main(): void {
  const args = process.argv.slice(2);
  const vocabDir = join(shared, 'models', 'vocab');
  const files = args.length > 0 ? args : ['llama-spm', 'gpt-2', 'deepseek-llm', 'falcon', 'starcoder', 'bert-bge']
    .map((n) => join(vocabDir, `ggml-vocab-${n}.gguf`)).filter(existsSync);
  const text = englishText(1 << 20);
  const mb = Buffer.byteLength(text) / 1e6;
  console.log(`text: ${mb.toFixed(2)} MB`);
  console.log('| vocab | load ms | encode ms | MB/s | tokens |');
  console.log('|---|---|---|---|---|');
  for (const f of files) {
    const t0 = performance.now();
    const tok = loadTokenizerFromPath(f);
    const t1 = performance.now();
    const ids = tok.encode(text, { addSpecial: false });
    const t2 = performance.now();
    console.log(`| ${f.split('/').pop()} | ${(t1 - t0).toFixed(0)} | ${(t2 - t1).toFixed(0)} | ${(mb / ((t2 - t1) / 1000)).toFixed(2)} | ${ids.length} |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
