import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopMatcher } from '../../src/sampling/stop-matcher.js';
import { Rng } from '../../src/sampling/rng.js';

test('holds back a possible stop prefix and stops when it completes', () => {
  const m = new StopMatcher(['</s>']);
  assert.deepEqual(m.push('Hello <'), { emit: 'Hello ', stopped: false });
  assert.deepEqual(m.push('/s'), { emit: '', stopped: false });
  assert.deepEqual(m.push('>and more'), { emit: '', stopped: true });
  assert.deepEqual(m.push('ignored'), { emit: '', stopped: true });
  assert.equal(m.flush(), '');
});

test('releases held text when the stop does not complete', () => {
  const m = new StopMatcher(['</s>']);
  assert.deepEqual(m.push('a <'), { emit: 'a ', stopped: false });
  assert.deepEqual(m.push('b'), { emit: '<b', stopped: false });
});

test('flush returns the held suffix at the end of generation', () => {
  const m = new StopMatcher(['<|im_end|>']);
  assert.deepEqual(m.push('hi <|im'), { emit: 'hi ', stopped: false });
  assert.equal(m.flush(), '<|im');
  assert.equal(m.flush(), '');
});

test('self-overlapping stop strings are found across pushes', () => {
  const m = new StopMatcher(['abc']);
  assert.deepEqual(m.push('ab'), { emit: '', stopped: false });
  assert.deepEqual(m.push('ab'), { emit: 'ab', stopped: false });
  assert.deepEqual(m.push('c'), { emit: '', stopped: true });
  assert.deepEqual(new StopMatcher(['abc']).push('xababcz'), { emit: 'xab', stopped: true });
});

test('the earliest-starting stop string wins; empty stops are ignored', () => {
  assert.deepEqual(new StopMatcher(['ND!', 'END']).push('aEND!'), { emit: 'a', stopped: true });
  assert.deepEqual(new StopMatcher(['', 'x']).push('abc'), { emit: 'abc', stopped: false });
  assert.deepEqual(new StopMatcher([]).push('a<'), { emit: 'a<', stopped: false });
});

test('random chunking emits exactly the text before the first stop', () => {
  const r = new Rng(21);
  const stops = ['<|im_end|>', '\n\nUser:', 'STOP'];
  const alphabet = ['a', ' ', '<', '|', 'im', '_end', '|>', '\n', 'User', ':', 'ST', 'OP', 'S'];
  for (let trial = 0; trial < 300; trial++) {
    let text = '';
    const len = 5 + Math.floor(r.next() * 40);
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(r.next() * alphabet.length)];
    const firsts = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    const expected = firsts.length ? text.slice(0, Math.min(...firsts)) : text;

    const m = new StopMatcher(stops);
    let out = '', stopped = false, pos = 0;
    while (pos < text.length && !stopped) {
      const n = 1 + Math.floor(r.next() * 4);
      const res = m.push(text.slice(pos, pos + n));
      out += res.emit;
      stopped = res.stopped;
      pos += n;
    }
    if (!stopped) out += m.flush();
    assert.equal(out, expected, `text ${JSON.stringify(text)}`);
    assert.equal(stopped, firsts.length > 0);
  }
});
