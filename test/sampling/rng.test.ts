import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/sampling/rng.js';

test('xoshiro128** known answers from state {1,2,3,4}, stepped by hand', () => {
  // out = rotl(s1·5, 7)·9 then the state update of the reference algorithm:
  // step 1: s1=2 → rotl(10,7)=1280 → 11520; state → {7, 0, 1026, 12288}
  // step 2: s1=0 → 0;                     state → {12295, 1029, 1029, 25165824}
  // step 3: s1=1029 → rotl(5145,7)=658560 → 5927040
  const r = Rng.fromState(1, 2, 3, 4);
  assert.equal(r.nextUint32(), 11520);
  assert.equal(r.nextUint32(), 0);
  assert.equal(r.nextUint32(), 5927040);
});

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43), d = new Rng(42 + 2 ** 32);
  const sa = Array.from({ length: 100 }, () => a.next());
  const sb = Array.from({ length: 100 }, () => b.next());
  const sc = Array.from({ length: 100 }, () => c.next());
  const sd = Array.from({ length: 100 }, () => d.next());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  assert.notDeepEqual(sa, sd, 'the high half of the seed must matter');
});

test('next() is in [0,1) and roughly uniform (chi-square over 16 buckets)', () => {
  const r = new Rng(7);
  const n = 64000, buckets = new Array<number>(16).fill(0);
  for (let i = 0; i < n; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1, `out of range: ${x}`);
    buckets[Math.floor(x * 16)]!++;
  }
  const expected = n / 16;
  const chi2 = buckets.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 37.7, `chi-square ${chi2} exceeds the p=0.001 bound for 15 degrees of freedom`);
});

test('bad seeds and states are refused', () => {
  assert.throws(() => new Rng(NaN), /finite/);
  assert.throws(() => Rng.fromState(0, 0, 0, 0), /all zero/);
});
