// JSON-mode constraint: the byte automaton accepts exactly valid JSON object prefixes, counts the
// shortest completion, and the TokenConstraint makes random logits (greedy and sampled) produce
// text that JSON.parse accepts, within the token budget, on a small and a 50k vocabulary.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  charsToComplete, initialJsonState, jsonComplete, MAX_LEADING_WHITESPACE, MAX_WHITESPACE_RUN, stepJson,
} from '../../src/sampling/json-automaton.js';
import { JsonConstraint } from '../../src/sampling/json-constraint.js';
import { Rng } from '../../src/sampling/rng.js';
import { Sampler } from '../../src/sampling/sampler.js';
import { synthesizeModel } from '../../src/synth/synthesize.js';
import { loadTokenizer, loadTokenizerFromPath } from '../../src/tokenizer/index.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { readGGUF } from '../../src/gguf/reader.js';
import { needData } from '../helpers/data.js';

const enc = new TextEncoder();

/** Feeds text byte by byte; returns the byte index that broke the grammar, or -1 and whether it is complete. */
function run(text: string): { failedAt: number; complete: boolean; state: ReturnType<typeof initialJsonState> } {
  const s = initialJsonState();
  const bytes = enc.encode(text);
  for (let i = 0; i < bytes.length; i++) if (!stepJson(s, bytes[i]!)) return { failedAt: i, complete: false, state: s };
  return { failedAt: -1, complete: jsonComplete(s), state: s };
}

const VALID = [
  '{}', ' { } ', '{"a":1}', '{"a":-0.5e+10,"b":[true,false,null,"x\\n\\u00e9\\"",{}],"c":{"d":[]}}',
  '{"ключ":"значение 🙂"}', '{"n":0,"m":-12.25E-3}', '{\n  "a": [ 1 , 2 ]\n}',
];
const INVALID: [string, string][] = [
  ['[1]', 'top level must be an object'], ['{"a":01}', 'leading zero'], ['{"a":}', 'missing value'],
  ['{"a" 1}', 'missing colon'], ['{"a":tru}', 'bad literal'], ['{"a":"\u0001"}', 'raw control character'],
  ['{"a":1,}', 'trailing comma'], ['{"a":1}}', 'extra closer'], ['{"a":1] ', 'wrong closer'], ['{a:1}', 'unquoted key'],
  ['{"a":"\\x"}', 'bad escape'], ['{"a":1.}', 'digit needed after the dot'], ['{"a":-}', 'digit needed after minus'],
  ['{} {}', 'text after the object'],
];

test('the automaton accepts valid JSON objects and completes exactly at their end', () => {
  for (const text of VALID) {
    assert.doesNotThrow(() => JSON.parse(text), text); // the fixtures themselves are valid
    const r = run(text.trimEnd());
    assert.equal(r.failedAt, -1, `${text} rejected`);
    assert.equal(r.complete, true, `${text} not complete`);
    // Every proper prefix is accepted but not complete.
    const trimmed = text.trimEnd();
    for (let i = 0; i < trimmed.length - 1; i++) assert.equal(run(trimmed.slice(0, i)).complete, false, `prefix ${trimmed.slice(0, i)}`);
  }
});

test('the automaton rejects invalid JSON', () => {
  for (const [text, why] of INVALID) {
    let isObject = false;
    try { const v: unknown = JSON.parse(text); isObject = typeof v === 'object' && v !== null && !Array.isArray(v); } catch { /* invalid */ }
    assert.equal(isObject, false, `fixture ${text} is a valid JSON object`);
    const r = run(text);
    assert.ok(r.failedAt >= 0 || !r.complete, `${text} (${why}) accepted`);
  }
  // Whitespace runs are bounded: between tokens, and (tighter) before the object.
  assert.equal(run(`{${' '.repeat(MAX_WHITESPACE_RUN + 1)}`).failedAt, MAX_WHITESPACE_RUN + 1);
  assert.equal(run(`${' '.repeat(MAX_LEADING_WHITESPACE + 1)}{}`).failedAt, MAX_LEADING_WHITESPACE);
});

test('charsToComplete counts the shortest completion', () => {
  const cases: [string, string][] = [
    ['', '{}'], ['{', '}'], ['{"ab', '":0}'], ['{"a"', ':0}'], ['{"a":', '0}'], ['{"a":[', ']}'], ['{"a":[1,', '0]}'],
    ['{"a":-', '0}'], ['{"a":1.', '0}'], ['{"a":1e+', '0}'], ['{"a":"\\u12', '00"}'], ['{"a":"\\', 'n"}'], ['{"a":tr', 'ue}'],
    ['{"a":{"b":1', '}}'], ['{"a":1,', '"":0}'], ['{}', ''],
  ];
  for (const [prefix, completion] of cases) {
    const r = run(prefix);
    assert.equal(r.failedAt, -1, prefix);
    assert.equal(charsToComplete(r.state), completion.length, `after ${JSON.stringify(prefix)}`);
    assert.doesNotThrow(() => JSON.parse(prefix + completion), `${prefix}${completion} must parse`);
  }
  // Inside a multi-byte character: its continuation bytes count too.
  const s = initialJsonState();
  for (const b of enc.encode('{"a":"')) stepJson(s, b);
  stepJson(s, 0xf0);
  assert.equal(charsToComplete(s), 3 + 2); // 3 continuation bytes, then "}
});

/** Samples `steps` tokens from random logits under the constraint; returns the decoded text and count. */
function generate(tok: Tokenizer, seed: number, temp: number, maxTokens: number): { text: string; n: number; ended: boolean } {
  const constraint = new JsonConstraint(tok, { maxTokens });
  const sampler = new Sampler({ temp, topK: 40, topP: 0.95, minP: 0.05, seed });
  sampler.setConstraint(constraint);
  const rng = new Rng(seed);
  const logits = new Float32Array(tok.vocabSize);
  const ids: number[] = [];
  let ended = false;
  while (ids.length < maxTokens) {
    for (let j = 0; j < logits.length; j++) logits[j] = rng.next() * 6;
    const id = sampler.sample(logits, ids);
    if (tok.isEog(id)) { ended = true; break; }
    ids.push(id);
  }
  return { text: tok.decode(ids), n: ids.length, ended };
}

function checkRandomOutputs(tok: Tokenizer, trials: number): void {
  for (let seed = 1; seed <= trials; seed++) {
    for (const temp of [0, 0.8]) {
      const maxTokens = 3 + (seed * 7) % 40;
      const { text, n, ended } = generate(tok, seed, temp, maxTokens);
      assert.ok(n <= maxTokens);
      let parsed: unknown;
      assert.doesNotThrow(() => { parsed = JSON.parse(text); }, `seed ${seed} temp ${temp} max ${maxTokens}: ${JSON.stringify(text)}`);
      assert.equal(typeof parsed, 'object');
      assert.ok(parsed !== null && !Array.isArray(parsed));
      if (!ended) assert.equal(n, maxTokens);
    }
  }
}

test('random logits under the constraint give parseable JSON objects (tiny BPE vocabulary)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-json-'));
  try {
    const path = join(dir, 'tiny.gguf');
    synthesizeModel({ preset: 'tiny', seed: 1, type: 'f32', outPath: path });
    const tok = loadTokenizer(readGGUF(path));
    checkRandomOutputs(tok, 25);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the constraint stays fast and correct on a 50k vocabulary (GPT-2)', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-gpt-2.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  assert.ok(tok.vocabSize > 50_000);
  new JsonConstraint(tok); // build the piece table outside the timing
  const t0 = performance.now();
  let tokens = 0;
  for (let seed = 1; seed <= 4; seed++) tokens += generate(tok, seed, 0.8, 40).n + 1;
  const msPerToken = (performance.now() - t0) / tokens;
  // Each sampled step masks the whole vocabulary; a few ms per token, far below the 20 ms bound.
  assert.ok(msPerToken < 20, `${msPerToken.toFixed(2)} ms per token`);
  checkRandomOutputs(tok, 6);
});

test('end tokens are allowed only once the object is complete', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-json-'));
  try {
    const path = join(dir, 'tiny.gguf');
    synthesizeModel({ preset: 'tiny', seed: 1, type: 'f32', outPath: path });
    const tok = loadTokenizer(readGGUF(path));
    const imEnd = tok.encode('<|im_end|>', { addSpecial: false, parseSpecial: true });
    assert.equal(imEnd.length, 1);
    const c = new JsonConstraint(tok, { endTokens: imEnd });
    const ids = tok.encode('{"a": [1, "x"]}', { addSpecial: false });
    assert.equal(c.allowed(imEnd[0]!), false);
    for (const id of ids) {
      assert.equal(c.allowed(imEnd[0]!), false);
      assert.ok(c.allowed(id), `token ${JSON.stringify(tok.piece(id))} refused`);
      c.accept(id);
    }
    assert.equal(c.complete, true);
    assert.ok(c.allowed(imEnd[0]!));
    assert.ok(tok.eos === null || c.allowed(tok.eos));
    assert.equal(c.allowed(ids[0]!), false); // nothing may follow the object
    // A tight budget refuses tokens that could not be closed in time: after '{' with 2 tokens left, no key may open.
    const tight = new JsonConstraint(tok, { maxTokens: 2 });
    const open = tok.encode('{', { addSpecial: false });
    tight.accept(open[0]!);
    const quote = tok.encode('"', { addSpecial: false });
    assert.equal(tight.allowed(quote[0]!), false);
    assert.ok(tight.allowed(tok.encode('}', { addSpecial: false })[0]!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
