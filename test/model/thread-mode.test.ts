// The decode thread-mode chooser: alternates while measuring, uses the pool only when it is
// clearly faster than serial (so more threads never decode slower than one), and measures again
// after a while.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThreadModeChooser, type ThreadMode } from '../../src/model/thread-mode.js';

function drive(c: ThreadModeChooser, steps: number, cost: Record<ThreadMode, number>): ThreadMode[] {
  const seen: ThreadMode[] = [];
  for (let i = 0; i < steps; i++) {
    const m = c.next();
    seen.push(m);
    c.record(m, cost[m]);
  }
  return seen;
}

test('alternates while measuring, then keeps the clearly faster mode', () => {
  const c = new ThreadModeChooser(true);
  const first = drive(c, 20, { pooled: 10, serial: 5 });
  assert.deepEqual(first.slice(0, 4), ['pooled', 'serial', 'pooled', 'serial']);
  assert.equal(c.current, 'serial');
  assert.ok(drive(c, 50, { pooled: 10, serial: 5 }).every((m) => m === 'serial'));
});

test('stays serial when the pool is only marginally faster, or ties (timing jitter)', () => {
  for (const pooled of [9.8, 10, 10.5]) {
    const c = new ThreadModeChooser(true);
    drive(c, 20, { pooled, serial: 10 });
    assert.equal(c.current, 'serial', `pooled ${pooled} ms vs serial 10 ms`);
  }
  const c = new ThreadModeChooser(true);
  drive(c, 20, { pooled: 9, serial: 10 });
  assert.equal(c.current, 'pooled', 'a clearly faster pool is used');
});

test('measures again after 512 steps and can switch back', () => {
  const c = new ThreadModeChooser(true);
  drive(c, 20, { pooled: 10, serial: 5 });
  assert.equal(c.current, 'serial');
  drive(c, 512, { pooled: 10, serial: 5 });
  const again = drive(c, 20, { pooled: 5, serial: 10 });
  assert.ok(again.includes('pooled') && again.includes('serial'), 'a new measuring round');
  assert.equal(c.current, 'pooled');
});

test('disabled (one thread, or TSLLAMA_DECODE_THREADS=pool): always pooled', () => {
  const c = new ThreadModeChooser(false);
  assert.ok(drive(c, 30, { pooled: 10, serial: 1 }).every((m) => m === 'pooled'));
});
