// The decode thread-mode chooser: measures in alternating blocks of steps (not timing the step
// that switches modes), uses the pool only when it is clearly faster than serial (so more threads
// never decode slower than one), and measures again after a while. A model keeps one per size
// class of small steps (decode, batched decode, short prefill chunks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel, Session } from '../../src/index.js';
import { smallStepClass } from '../../src/model/model.js';
import { THREAD_MODE_SETTLED_AFTER, THREAD_MODE_TRIAL_STEPS, ThreadModeChooser, type ThreadMode } from '../../src/model/thread-mode.js';
import { needData } from '../helpers/data.js';

/** A chooser past its first pooled steps, about to start its first round. */
function fresh(): ThreadModeChooser {
  const c = new ThreadModeChooser(true);
  const before = drive(c, THREAD_MODE_SETTLED_AFTER - THREAD_MODE_TRIAL_STEPS, { pooled: 10, serial: 10 });
  assert.ok(before.every((m) => m === 'pooled'), 'pooled, untimed, before the first round');
  return c;
}

function drive(c: ThreadModeChooser, steps: number, cost: Record<ThreadMode, number>): ThreadMode[] {
  const seen: ThreadMode[] = [];
  for (let i = 0; i < steps; i++) {
    const m = c.next();
    seen.push(m);
    c.record(m, cost[m]);
  }
  return seen;
}

test('decodes pooled, untimed, for the first steps after loading (V8 still compiles in the background)', () => {
  const c = new ThreadModeChooser(true);
  const modes = drive(c, THREAD_MODE_SETTLED_AFTER - THREAD_MODE_TRIAL_STEPS, { pooled: 50, serial: 1 });
  assert.ok(modes.every((m) => m === 'pooled'));
  assert.equal(c.current, 'pooled');
  assert.equal(c.next(), 'pooled', 'the first round starts with a pooled block');
  drive(c, THREAD_MODE_TRIAL_STEPS, { pooled: 50, serial: 1 });
  assert.equal(c.current, 'serial', 'the first round decides');
});

test('measures in alternating blocks of 5 steps, then keeps the clearly faster mode', () => {
  const c = fresh();
  const first = drive(c, THREAD_MODE_TRIAL_STEPS, { pooled: 10, serial: 5 });
  const block = (m: ThreadMode): ThreadMode[] => Array(5).fill(m);
  assert.deepEqual(first, [...block('pooled'), ...block('serial'), ...block('pooled'), ...block('serial')]);
  assert.equal(c.current, 'serial');
  assert.ok(drive(c, 50, { pooled: 10, serial: 5 }).every((m) => m === 'serial'));
});

test('the step that switches modes is not timed (a sleeping worker wakes up slowly on a VM)', () => {
  // every block's first step costs 100 ms; inside the blocks the pool is clearly faster
  const c = fresh();
  let previous: ThreadMode | null = null;
  for (let i = 0; i < THREAD_MODE_TRIAL_STEPS; i++) {
    const m = c.next();
    c.record(m, m !== previous ? 100 : m === 'pooled' ? 8 : 10);
    previous = m;
  }
  assert.equal(c.current, 'pooled');
});

test('judges each mode by its lower quartile: interference spikes do not hide a faster pool', () => {
  // pooled steps of 7 ms, every other one disturbed (25 ms): half the samples spiked, so the median
  // is 25 ms; serial a steady 10 ms
  const c = fresh();
  let k = 0;
  for (let i = 0; i < THREAD_MODE_TRIAL_STEPS; i++) {
    const m = c.next();
    c.record(m, m === 'serial' ? 10 : k++ % 2 === 0 ? 7 : 25);
  }
  assert.equal(c.current, 'pooled');
});

test('stays serial when the pool is only marginally faster, or ties (timing jitter)', () => {
  for (const pooled of [9.8, 10, 10.5]) {
    const c = fresh();
    drive(c, 20, { pooled, serial: 10 });
    assert.equal(c.current, 'serial', `pooled ${pooled} ms vs serial 10 ms`);
  }
  const c2 = fresh();
  drive(c2, 20, { pooled: 9, serial: 10 });
  assert.equal(c2.current, 'pooled', 'a clearly faster pool is used');
});

test('measures again after 64 steps, then every 512, and can switch back', () => {
  const c = fresh();
  drive(c, 20, { pooled: 10, serial: 5 });
  assert.equal(c.current, 'serial');
  // the second round comes early: the first ran while the process was still warming up
  assert.ok(drive(c, 63, { pooled: 10, serial: 5 }).every((m) => m === 'serial'));
  const second = drive(c, 21, { pooled: 10, serial: 5 });
  assert.ok(second.includes('pooled'), 'a second measuring round after 64 steps');
  assert.equal(c.current, 'serial');
  assert.ok(drive(c, 511, { pooled: 10, serial: 5 }).every((m) => m === 'serial'), 'then 512 steps without measuring');
  drive(c, 1, { pooled: 10, serial: 5 });
  const again = drive(c, 20, { pooled: 5, serial: 10 });
  assert.ok(again.includes('pooled') && again.includes('serial'), 'a new measuring round');
  assert.equal(c.current, 'pooled');
});

test('disabled (one thread, or TSLLAMA_DECODE_THREADS=pool): always pooled', () => {
  const c = new ThreadModeChooser(false);
  assert.ok(drive(c, 30, { pooled: 10, serial: 1 }).every((m) => m === 'pooled'));
});

test('small steps choose per size class: 1-4 tokens exactly, then 5-8 and 9-16; larger steps always pool', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 8, 9, 16].map(smallStepClass), [1, 2, 3, 4, 8, 8, 16, 16]);
  assert.deepEqual([0, 17, 512].map(smallStepClass), [0, 0, 0]);
});

test('a 2-thread model keeps one chooser per size class of the steps it ran', async (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const model = await loadModel(paths[0], { quant: 'q8', threads: 2, contextLength: 128 });
  try {
    const a = model.createSession();
    const b = model.createSession();
    a.eval([1, 403, 407, 261, 378, 439, 431, 261, 263, 432, 419, 365]); // 12 tokens: class 16
    b.eval(Array.from({ length: 20 }, (_, i) => 300 + i));               // 20 tokens: always pooled
    a.eval([5]);                                                         // class 1
    Session.evalBatch([{ session: a, ids: [6] }, { session: b, ids: [7] }]); // class 2
    assert.deepEqual(Object.keys(model.decodeThreadModes).map(Number).sort((x, y) => x - y), [1, 2, 16]);
    assert.equal(model.decodeThreadMode, model.decodeThreadModes[1]);
  } finally {
    await model.dispose();
  }
});
