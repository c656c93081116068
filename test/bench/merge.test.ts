// bench --rounds: each figure keeps its best round (highest t/s, lowest ttft), for both engines alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestOf } from '../../src/bench/merge.js';
import type { SideResult } from '../../src/bench/types.js';

const side = (o: Partial<SideResult>): SideResult => ({ rss_mb: 180, load_s: 1, pp: { 128: 200, 512: 190 }, tg: 90, ttft_ms: 600, info: 'x', ...o });

test('per figure the better round: max pp per length and tg, min ttft, load time and resident memory', () => {
  const a = side({ pp: { 128: 250, 512: 180 }, tg: 80, ttft_ms: 500, rss_mb: 182, load_s: 1.2, info: 'decode serial' });
  const b = side({ pp: { 128: 210, 512: 230 }, tg: 95, ttft_ms: 650, rss_mb: 179, load_s: 0.9, info: 'decode pooled' });
  const m = bestOf(a, b);
  assert.deepEqual(m, { rss_mb: 179, load_s: 0.9, pp: { 128: 250, 512: 230 }, tg: 95, ttft_ms: 500, info: 'decode pooled' });
  assert.deepEqual(bestOf(b, a), m, 'order does not matter');
});

test('the info travels with the kept generation figure (it names the decode thread mode behind it)', () => {
  assert.equal((bestOf(side({ tg: 100, info: 'first' }), side({ tg: 99, info: 'second' })) as SideResult).info, 'first');
});

test('the batched generation figure keeps its best round; absent in both rounds, it stays absent', () => {
  assert.equal((bestOf(side({ tg_batch: 300 }), side({ tg_batch: 340 })) as SideResult).tg_batch, 340);
  assert.equal((bestOf(side({ tg_batch: 300 }), side({})) as SideResult).tg_batch, 300);
  assert.ok(!('tg_batch' in (bestOf(side({}), side({})) as SideResult)));
});

test('a failed round is dropped; two failures stay a failure', () => {
  const ok = side({});
  assert.equal(bestOf({ error: 'child died' }, ok), ok);
  assert.equal(bestOf(ok, { error: 'child died' }), ok);
  assert.deepEqual(bestOf({ error: 'a' }, { error: 'b' }), { error: 'b' });
});
