// The terminal progress reporter: a redrawn bar on a TTY, a few plain lines otherwise. Clock injected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgress, downloadReporter, formatDuration, progressMode } from '../../src/cli/progress.js';

function sink(isTTY: boolean, columns = 100) {
  const chunks: string[] = [];
  const stream = Object.assign(new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }), { isTTY, columns });
  return { stream, text: () => chunks.join('') };
}

test('on a TTY: one line redrawn in place with bar, bytes, rate and time left', () => {
  const out = sink(true);
  let now = 0;
  const p = createProgress({ label: 'model.gguf', total: 100e6, stream: out.stream, now: () => now });
  now = 1000; p.update(10e6);
  now = 1050; p.update(12e6); // within 100 ms: not redrawn
  now = 2000; p.update(20e6);
  p.done();
  const frames = out.text().split('\r').filter(Boolean);
  assert.equal(frames.length, 3, 'two throttled redraws and the final one');
  assert.match(frames[0], /^model\.gguf \[=+>\s+\]  10%  10\.0 MB\/100 MB  10\.0 MB\/s  9s left\x1b\[K$/);
  assert.match(frames[1], /20%  20\.0 MB\/100 MB  10\.0 MB\/s  8s left/);
  assert.match(frames[2], /\[=+\] 100%  100 MB\/100 MB/);
  assert.ok(out.text().endsWith('\n'));
});

test('in a pipe: a start line, one per quarter, a done line — no carriage returns', () => {
  const out = sink(false);
  let now = 0;
  const p = createProgress({ label: 'm.gguf', total: 1000, stream: out.stream, now: () => now });
  for (let done = 0; done <= 1000; done += 10) { now += 10; p.update(done); }
  p.done();
  const lines = out.text().trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.replace(/ \(.*\)$/, '').replace(/, .*$/, '')), [
    'm.gguf: starting', 'm.gguf: 25%', 'm.gguf: 50%', 'm.gguf: 75%', 'm.gguf: done',
  ]);
  assert.match(lines[1], /^m\.gguf: 25% \(250 B of 1\.00 KB, 962 B\/s, 1s left\)$/); // 250 B over the first 260 ms
  assert.match(lines[4], /^m\.gguf: done, 1\.00 KB in 1s \(990 B\/s\)$/);
  assert.ok(!out.text().includes('\r'));
});

test('a resumed download starts from its offset and rates only the new bytes', () => {
  const out = sink(false);
  let now = 0;
  const p = createProgress({ label: 'm', total: 1000, start: 600, stream: out.stream, now: () => now });
  now = 1000; p.update(800);
  now = 2000; p.update(1000);
  p.done();
  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines[0], 'm: resuming at 600 B of 1.00 KB');
  assert.equal(lines.length, 3, 'only the 75% mark is crossed after 600');
  assert.match(lines[2], /done, 1\.00 KB in 2s \(200 B\/s\)/);
});

test('unknown totals show amount and rate; counts print as numbers; off prints nothing', () => {
  const tty = sink(true);
  let now = 0;
  const p = createProgress({ label: 'x', stream: tty.stream, now: () => now, unit: 'count' });
  now = 500; p.update(50);
  assert.match(tty.text(), /^\rx  50  100\/s\x1b\[K$/);
  const off = sink(true);
  const q = createProgress({ label: 'x', total: 10, stream: off.stream, mode: 'off' });
  q.update(5); q.done();
  assert.equal(off.text(), '');
});

test('TSLLAMA_PROGRESS forces the mode; durations format compactly', () => {
  assert.equal(progressMode({ isTTY: false }, { TSLLAMA_PROGRESS: 'tty' }), 'tty');
  assert.equal(progressMode({ isTTY: true }, { TSLLAMA_PROGRESS: 'plain' }), 'plain');
  assert.equal(progressMode({ isTTY: true }, {}), 'tty');
  assert.equal(progressMode({}, {}), 'plain');
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(3720), '1h02m');
});

test('downloadReporter turns download events into one bar per file and closes it on errors', () => {
  const out = sink(false);
  const report = downloadReporter({ stream: out.stream });
  report({ label: 'a.gguf', state: 'start', done: 0, total: 100, resumedFrom: 0 });
  report({ label: 'a.gguf', state: 'data', done: 60, total: 100, resumedFrom: 0 });
  report({ label: 'a.gguf', state: 'error', done: 60, total: 100, resumedFrom: 0 });
  report({ label: 'a.gguf', state: 'start', done: 60, total: 100, resumedFrom: 60 });
  report({ label: 'a.gguf', state: 'end', done: 100, total: 100, resumedFrom: 60 });
  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines[0], 'a.gguf: starting (100 B)');
  assert.match(lines[1], /^a\.gguf: 50%/);
  assert.equal(lines[2], 'a.gguf: resuming at 60 B of 100 B');
  assert.match(lines.at(-1)!, /^a\.gguf: done, 100 B/);
});
