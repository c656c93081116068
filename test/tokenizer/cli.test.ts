// `tsllama tokenize` and `tsllama convert-tokenizer`, run as a user would (spawned).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, needData } from '../helpers/data.js';

const BIN = join(REPO_ROOT, 'bin', 'tsllama.js');

function tsllama(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tokenize reproduces every golden prompt_ids of llama.cpp (stories260K, llama-2-tiny-random)', (t) => {
  const paths = needData(t, 'models/stories260K.gguf', 'golden/stories260K.json', 'models/llama-2-tiny-random.gguf', 'golden/llama-2-tiny-random.json');
  if (!paths) return;
  for (const [model, golden] of [[paths[0], paths[1]], [paths[2], paths[3]]]) {
    const cases = (JSON.parse(readFileSync(golden, 'utf8')) as { cases: { prompt: string; add_bos: boolean; prompt_ids: number[] }[] }).cases;
    for (const c of cases) {
      const r = tsllama('tokenize', model, c.prompt, '--json', ...(c.add_bos ? [] : ['--no-bos']));
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { ids: number[]; pieces: string[] };
      assert.deepEqual(out.ids, c.prompt_ids, `prompt ${JSON.stringify(c.prompt.slice(0, 40))}`);
      assert.equal(out.pieces.length, out.ids.length);
    }
  }
});

test('tokenize: plain output, --ids, --no-bos, --parse-special, usage errors', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const plain = tsllama('tokenize', paths[0], 'Once upon a time');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, "1 '<s>'\n403 ' Once'\n407 ' upon'\n261 ' a'\n378 ' time'\n");
  assert.equal(tsllama('tokenize', paths[0], 'Once upon a time', '--ids', '--no-bos').stdout, '403 407 261 378\n');
  const special = tsllama('tokenize', paths[0], '</s>', '--ids', '--no-bos', '--parse-special');
  assert.equal(special.stdout, '2\n');
  assert.notEqual(tsllama('tokenize', paths[0], '</s>', '--ids', '--no-bos').stdout, '2\n');
  const missing = tsllama('tokenize', paths[0]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /tokenize needs a model and a text/);
  const noFile = tsllama('tokenize', '/nonexistent.gguf', 'x');
  assert.equal(noFile.code, 1);
  assert.match(noFile.stderr, /not found/);
  assert.match(tsllama('tokenize', '--help').stdout, /--parse-special/);
});

/** A tiny byte-level BPE tokenizer.json: the 256 byte characters (id = byte value) and a few merges. */
function tinyTokenizerJson(): object {
  const keep = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const vocab: Record<string, number> = {};
  let extra = 0;
  for (let b = 0; b < 256; b++) vocab[String.fromCodePoint(keep(b) ? b : 256 + extra++)] = b;
  Object.assign(vocab, { He: 256, ll: 257, Hell: 258, Hello: 259, 'Ġw': 260 });
  return {
    added_tokens: [{ id: 261, content: '<|endoftext|>', special: true }],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    post_processor: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges: ['H e', 'l l', 'He ll', 'Hell o', 'Ġ w'] },
  };
}

test('convert-tokenizer writes a vocab GGUF that tokenize can use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-cli-'));
  try {
    const json = join(dir, 'tokenizer.json');
    writeFileSync(json, JSON.stringify(tinyTokenizerJson()));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>', chat_template: '{{ messages }}' }));
    const out = join(dir, 'tiny.gguf');
    const r = tsllama('convert-tokenizer', json, '-o', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /262 tokens, 5 merges, pre "gpt-2"/);
    // "Hello" merges fully; " world" gets only "Ġw" and then single bytes o r l d
    assert.equal(tsllama('tokenize', out, 'Hello world', '--ids').stdout, '259 260 111 114 108 100\n');
    assert.equal(tsllama('tokenize', out, 'Hello<|endoftext|>', '--ids', '--parse-special').stdout, '259 261\n');
    const bad = tsllama('convert-tokenizer', json);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /-o <vocab.gguf>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
