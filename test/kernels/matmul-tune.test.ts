// tuneMatmul times each candidate token block, applies the fastest, and leaves the arena as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getMatmulTuning, resetMatmulTuning } from '../../src/kernels/wasm/matmul.js';
import { tuneMatmul } from '../../src/kernels/wasm/tune.js';
import { createMatmulFixture } from './matmul-fixture.js';

test('tuneMatmul picks the fastest measured token block and applies it', async () => {
  const fx = await createMatmulFixture('simd', 2);
  try {
    const timings = new Map<number, number>();
    const tuned = tuneMatmul(fx.ctx, {
      tokenBlocks: [4, 8, 16], tokens: 24, shape: [64, 96], reps: 3, onResult: (tb, ms) => timings.set(tb, ms),
    });
    assert.deepEqual([...timings.keys()], [4, 8, 16]);
    const fastest = [...timings.entries()].sort((a, b) => a[1] - b[1])[0][0];
    assert.equal(tuned.tokenBlock, fastest);
    assert.equal(getMatmulTuning().tokenBlock, fastest);
    // a second run finds its scratch sized already and releases everything else it allocated
    const used = fx.arena.used;
    tuneMatmul(fx.ctx, { tokenBlocks: [4, 8], tokens: 24, shape: [64, 96], reps: 1 });
    assert.equal(fx.arena.used, used);
  } finally {
    resetMatmulTuning();
    await fx.dispose();
  }
});
