// Long inputs (~20 KB): SPM's chunked merging must equal llama.cpp's single global merge queue, and BPE
// on a long text must equal the concatenation of its sentences (sentence ends are word boundaries).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { englishText } from '../../bench/tokenizer-bench.js';
import { SpmEncoder } from '../../src/tokenizer/spm.js';
import { loadTokenizerFromPath, LlamaTokenizer } from '../../src/tokenizer/index.js';
import { needData } from '../helpers/data.js';

const LONG = 20 * 1024;

test('SPM: chunked encoding of 20 KB equals one global merge queue', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-llama-spm.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]) as LlamaTokenizer;
  const text = englishText(LONG, 7) + ' Ünïcödé 日本語 🙂\t\tcode:  x  =  1;\n'.repeat(40);
  const escaped = (' ' + text).replaceAll(' ', '\u2581');
  const spm = new SpmEncoder(tok.vocab);
  const chunked: number[] = [];
  spm.encode(escaped, chunked);
  const global: number[] = [];
  (spm as unknown as { encodeChunk(s: string, out: number[]): void }).encodeChunk(escaped, global);
  assert.ok(chunked.length > 4000, `only ${chunked.length} tokens`);
  assert.deepEqual(chunked, global);
  assert.deepEqual(tok.encode(text, { addSpecial: false }), global);
  assert.equal(tok.detokenize(global), text);
});

for (const name of ['gpt-2', 'starcoder', 'falcon']) {
  test(`BPE ${name}: 20 KB equals its sentences encoded one by one`, (t) => {
    const paths = needData(t, `models/vocab/ggml-vocab-${name}.gguf`);
    if (!paths) return;
    const tok = loadTokenizerFromPath(paths[0]);
    // sentences end in ". " before a capital letter: the space goes with the next word in every pre-tokenizer here
    const sentences = englishText(LONG, 3).replaceAll('\n', ' ').split(/(?<=\.) (?=[A-Z])/);
    const text = sentences.join(' ');
    const whole = tok.encode(text, { addSpecial: false });
    const parts = sentences.flatMap((s, i) => tok.encode(i === 0 ? s : ' ' + s, { addSpecial: false }));
    assert.ok(whole.length > 4000);
    assert.deepEqual(whole, parts);
    assert.equal(tok.decode(whole), text);
  });
}
