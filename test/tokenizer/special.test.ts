// Special tokens, BOS/EOS, end-of-generation and errors for unsupported tokenizers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readGGUF } from '../../src/gguf/reader.js';
import { loadTokenizer, loadTokenizerFromPath, TokenizerError } from '../../src/tokenizer/index.js';
import { needData } from '../helpers/data.js';

test('llama-spm adds BOS by default (not EOS); addSpecial false adds nothing', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-llama-spm.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  assert.equal(tok.addBos, true);
  assert.equal(tok.addEos, false);
  assert.deepEqual(tok.encode('Hello world'), [1, 15043, 3186]);
  assert.deepEqual(tok.encode('Hello world', { addSpecial: false }), [15043, 3186]);
  assert.deepEqual(tok.encode(''), [1]);
  assert.deepEqual(tok.encode('', { addSpecial: false }), []);
  assert.equal(tok.bos, 1);
  assert.equal(tok.eos, 2);
  assert.ok(tok.isEog(2));
  assert.ok(!tok.isEog(15043));
  assert.ok(tok.isControl(1));
  assert.ok(!tok.isControl(15043));
});

test('parse_special: control-token text becomes its id only when asked; the text after it gets the SPM space prefix', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-llama-spm.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const on = tok.encode('<s>Hello</s>', { addSpecial: false, parseSpecial: true });
  assert.deepEqual(on, [1, 15043, 2]);
  const off = tok.encode('<s>Hello</s>', { addSpecial: false, parseSpecial: false });
  assert.ok(!off.includes(1) && !off.includes(2), `special ids leaked into [${off}]`);
  assert.equal(tok.decode(off), ' <s>Hello</s>');
  // decode renders control tokens only with special = true
  assert.equal(tok.decode(on), ' Hello');
  assert.equal(tok.decode(on, { special: true }), '<s> Hello</s>');
});

test('gpt-2 adds no BOS; <|endoftext|> is parsed only with parseSpecial', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-gpt-2.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  assert.equal(tok.addBos, false);
  const plain = tok.encode('Hello world');
  assert.deepEqual(plain, tok.encode('Hello world', { addSpecial: false }));
  assert.deepEqual(tok.encode('a<|endoftext|>b', { parseSpecial: true }), [...tok.encode('a'), 50256, ...tok.encode('b')]);
  const off = tok.encode('a<|endoftext|>b');
  assert.ok(!off.includes(50256));
  assert.equal(tok.decode(off), 'a<|endoftext|>b');
  assert.ok(tok.isEog(50256));
  assert.equal(tok.eot, 50256);
});

test('bert frames with [CLS] ... [SEP] when adding specials', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-bert-bge.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const inner = tok.encode('Hello world', { addSpecial: false });
  assert.deepEqual(tok.encode('Hello world'), [101, ...inner, 102]);
  assert.equal(tok.decode(inner), ' hello world');
});

test('user-defined tokens are cut out even without parseSpecial (deepseek-coder)', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-deepseek-coder.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  // 32000 "õ" is user-defined (stored raw): the text "õ" maps to it directly
  assert.equal(tok.tokenText(32000), 'õ');
  assert.deepEqual(tok.encode('aõb', { addSpecial: false }), [...tok.encode('a', { addSpecial: false }), 32000, ...tok.encode('b', { addSpecial: false })]);
  // deepseek-coder's GGUF asks for BOS
  assert.equal(tok.encode('a')[0], 32013);
});

test('phi-3: special tokens strip the spaces after them (rstrip); </s> is end-of-generation, so control', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-phi-3.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const user = tok.encode('<|user|>\n  Hi', { addSpecial: false, parseSpecial: true });
  assert.equal(user[0], 32010);
  assert.deepEqual(user.slice(1), tok.encode('Hi', { addSpecial: false }));
  // </s> is user-defined in this file, but llama.cpp adds the control bit to every end-of-generation token,
  // so it is plain text unless parseSpecial is on (then split out and right-stripped)
  assert.deepEqual(tok.encode('a</s>  b', { addSpecial: false, parseSpecial: true }),
    [...tok.encode('a', { addSpecial: false }), 2, ...tok.encode('b', { addSpecial: false })]);
  assert.ok(!tok.encode('a</s>  b', { addSpecial: false }).includes(2));
  assert.ok(tok.isEog(2) && tok.isControl(2));
  assert.ok(tok.isEog(32007), '<|end|> ends generation');
  assert.equal(tok.eos, 32000);
});

test('unsupported tokenizer model or pre-tokenizer: a clear error naming it', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-gpt-2.gguf');
  if (!paths) return;
  const file = readGGUF(paths[0]);
  const withMeta = (key: string, value: string) => ({ ...file, metadata: new Map(file.metadata).set(key, value) });
  assert.throws(() => loadTokenizer(withMeta('tokenizer.ggml.pre', 'no-such-pre')),
    (e: unknown) => e instanceof TokenizerError && /"no-such-pre"/.test(e.message) && /llama-bpe/.test(e.message) && /qwen2/.test(e.message));
  assert.throws(() => loadTokenizer(withMeta('tokenizer.ggml.model', 't5')),
    (e: unknown) => e instanceof TokenizerError && /"t5"/.test(e.message) && /llama, gpt2, bert/.test(e.message));
  const noVocab = { ...file, metadata: new Map([...file.metadata].filter(([k]) => k !== 'tokenizer.ggml.model')) };
  assert.throws(() => loadTokenizer(noVocab), TokenizerError);
});

test('bad token ids are rejected with a clear error', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  assert.throws(() => tok.decode([512]), /token id 512 is out of range \(vocabulary has 512 tokens\)/);
  assert.throws(() => tok.pieceBytes(-1), TokenizerError);
});
