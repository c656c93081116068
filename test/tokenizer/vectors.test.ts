// llama.cpp's tokenizer test vectors (ggml-vocab-*.gguf.inp/.out): every case of every vocab present must
// give the same ids (add_special = false, parse_special = false), and decoding them must give the text back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTokenizerFromPath, type Tokenizer } from '../../src/tokenizer/index.js';
import { parseVocabTestInputs, parseVocabTestOutputs, readVocabTestCases } from '../../src/tokenizer/test-vectors.js';
import { needData } from '../helpers/data.js';

const WITH_VECTORS = ['llama-spm', 'phi-3', 'bert-bge', 'gpt-2', 'deepseek-coder', 'deepseek-llm', 'falcon', 'mpt', 'refact', 'starcoder'];
const WITHOUT_VECTORS = ['baichuan', 'gpt-neox'];

test('test-vector files parse as llama.cpp reads them', () => {
  assert.deepEqual(parseVocabTestInputs('a\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n'), ['a', '']);
  assert.deepEqual(parseVocabTestInputs('a\n__ggml_vocab_test__\nlast'), ['a', 'last']);
  assert.deepEqual(parseVocabTestOutputs(' 1 2\n\n 3\n'), [[1, 2], [], [3]]);
});

for (const name of WITH_VECTORS) {
  test(`vectors: ${name}`, (t) => {
    const paths = needData(t, `models/vocab/ggml-vocab-${name}.gguf`, `models/vocab/ggml-vocab-${name}.gguf.inp`, `models/vocab/ggml-vocab-${name}.gguf.out`);
    if (!paths) return;
    const tok = loadTokenizerFromPath(paths[0]);
    const cases = readVocabTestCases(paths[1], paths[2]);
    assert.ok(cases.length >= 46, `expected the 46 standard cases, found ${cases.length}`);
    const failures: string[] = [];
    for (const c of cases) {
      const ids = tok.encode(c.text, { addSpecial: false, parseSpecial: false });
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) failures.push(`${JSON.stringify(c.text)}: got [${ids}] want [${c.ids}]`);
    }
    assert.deepEqual(failures, []);
    if (tok.model !== 'bert') checkDecodesBack(tok, cases);
  });
}

/** token_to_piece of the expected ids gives the text back (SPM after its prefix space is dropped). */
function checkDecodesBack(tok: Tokenizer, cases: { text: string; ids: number[] }[]): void {
  for (const c of cases) {
    if (c.text === '') continue;
    const spm = tok.model === 'llama';
    assert.equal(tok.decode(c.ids), spm ? ' ' + c.text : c.text, `decode of ${JSON.stringify(c.text)}`);
    if (spm) assert.equal(tok.detokenize(c.ids), c.text, `detokenize of ${JSON.stringify(c.text)}`);
  }
}

for (const name of WITHOUT_VECTORS) {
  test(`load and round-trip: ${name}`, (t) => {
    const paths = needData(t, `models/vocab/ggml-vocab-${name}.gguf`, 'models/vocab/ggml-vocab-gpt-2.gguf.inp');
    if (!paths) return;
    const tok = loadTokenizerFromPath(paths[0]);
    const texts = readVocabTestCases(paths[1], paths[1].replace(/\.inp$/, '.out')).map((c) => c.text);
    for (const text of texts) {
      const ids = tok.encode(text, { addSpecial: false });
      const expected = tok.model === 'llama' && text !== '' ? ' ' + text : text;
      assert.equal(tok.decode(ids), expected, `${name}: ${JSON.stringify(text)}`);
    }
  });
}

test('gpt-neox (no tokenizer.ggml.pre) uses the default pre-tokenizer and keeps whitespace runs as user-defined tokens', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-gpt-neox.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  assert.equal(tok.pre, 'default');
  // ids 50254..50276 are 24..2 literal spaces: a run of 5 spaces is cut out as one user-defined token
  const ids = tok.encode('a     b', { addSpecial: false });
  assert.ok(ids.includes(50273), `expected the 5-space token 50273 in [${ids}]`);
  assert.equal(tok.decode(ids), 'a     b');
});
