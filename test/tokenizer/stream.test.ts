// Pieces and streaming detokenization: a character split over byte tokens must never come out half-done.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTokenizerFromPath } from '../../src/tokenizer/index.js';
import { needData } from '../helpers/data.js';

test('an emoji encoded as four byte tokens streams out whole', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-llama-spm.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const ids = tok.encode('🙂', { addSpecial: false });
  // "▁" then <0xF0><0x9F><0x99><0x82> (byte tokens are ids 3 + byte)
  assert.deepEqual(ids, [29871, 0xf0 + 3, 0x9f + 3, 0x99 + 3, 0x82 + 3]);
  assert.deepEqual([...tok.pieceBytes(0xf0 + 3)], [0xf0]);
  assert.equal(tok.tokenText(0xf0 + 3), '<0xF0>');

  const stream = tok.streamDecoder();
  const outputs = ids.map((id) => stream.push(id));
  assert.deepEqual(outputs, [' ', '', '', '', '🙂']);
  assert.equal(stream.flush(), '');
  assert.equal(tok.decode(ids), ' 🙂');
});

test('streaming mixed text equals decode at every prefix boundary, and flush replaces an unfinished character', (t) => {
  const paths = needData(t, 'models/llama-2-tiny-random.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const text = 'Über naïve café — 日本語のテキスト 🙂 and 🤖!';
  const ids = tok.encode(text);
  const stream = tok.streamDecoder();
  let out = '';
  for (const id of ids) {
    const piece = stream.push(id);
    assert.ok(!/\uFFFD/.test(piece), `half a character emitted after token ${id}`);
    out += piece;
  }
  out += stream.flush();
  assert.equal(out, ' ' + text);
  assert.equal(out, tok.decode(ids));

  // stop in the middle of the emoji's bytes: nothing of it is emitted until flush, which marks it invalid
  const cut = ids.indexOf(0xf0 + 3);
  const s2 = tok.streamDecoder();
  const partial = ids.slice(0, cut + 2).map((id) => s2.push(id)).join('');
  assert.ok(partial.endsWith('テキスト '), JSON.stringify(partial));
  assert.equal(s2.flush(), '\uFFFD');
});

test('special tokens render only when asked, in decode and in the stream', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const ids = tok.encode('Once upon a time');
  assert.equal(ids[0], 1);
  assert.equal(tok.decode(ids), ' Once upon a time');
  assert.equal(tok.decode(ids, { special: true }), '<s> Once upon a time');
  assert.equal(tok.piece(1), '<s>');
  assert.equal(tok.pieceBytes(1, { special: false }).length, 0);
  const s = tok.streamDecoder({ special: true });
  assert.equal(ids.map((id) => s.push(id)).join('') + s.flush(), '<s> Once upon a time');
});

test('gpt-2: byte-level pieces, a multi-byte character split across tokens streams whole', (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-gpt-2.gguf');
  if (!paths) return;
  const tok = loadTokenizerFromPath(paths[0]);
  const text = ' 日本語 🤖';
  const ids = tok.encode(text);
  const split = ids.some((id) => { try { new TextDecoder('utf-8', { fatal: true }).decode(tok.pieceBytes(id)); return false; } catch { return true; } });
  assert.ok(split, 'expected at least one token holding part of a character');
  const s = tok.streamDecoder();
  const pieces = ids.map((id) => s.push(id));
  assert.ok(pieces.every((p) => !p.includes('\uFFFD')));
  assert.equal(pieces.join('') + s.flush(), text);
  assert.equal(tok.tokenText(tok.encode(' world')[0]), 'Ġworld');
});
