// tuneMatmul times each candidate token block (then, on several threads, chunks per thread), applies
// the fastest, and leaves the arena as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getMatmulTuning, resetMatmulTuning } from '../../src/kernels/wasm/matmul.js';
import { tuneMatmul } from '../../src/kernels/wasm/tune.js';
import { createMatmulFixture } from './matmul-fixture.js';

test('tuneMatmul picks the fastest measured token block and chunks per thread and applies them', async () => {
  const fx = await createMatmulFixture('simd', 2);
  try {
    const timings = new Map<number, number>();
    const chunkTimings = new Map<number, number>();
    const tuned = tuneMatmul(fx.ctx, {
      tokenBlocks: [4, 8, 16], tokens: 24, shape: [64, 96], reps: 3, onResult: (tb, ms) => timings.set(tb, ms),
      prefillChunks: [1, 2, 4], onChunksResult: (c, ms) => chunkTimings.set(c, ms),
    });
    assert.deepEqual([...timings.keys()], [4, 8, 16]);
    const fastest = [...timings.entries()].sort((a, b) => a[1] - b[1])[0][0];
    assert.equal(tuned.tokenBlock, fastest);
    assert.equal(getMatmulTuning().tokenBlock, fastest);
    assert.deepEqual([...chunkTimings.keys()], [1, 2, 4]);
    const fastestChunks = [...chunkTimings.entries()].sort((a, b) => a[1] - b[1])[0][0];
    assert.equal(tuned.prefillChunks, fastestChunks);
    assert.equal(getMatmulTuning().prefillChunks, fastestChunks);
    // a second run finds its scratch sized already and releases everything else it allocated
    const used = fx.arena.used;
    tuneMatmul(fx.ctx, { tokenBlocks: [4, 8], tokens: 24, shape: [64, 96], reps: 1 });
    assert.equal(fx.arena.used, used);
  } finally {
    resetMatmulTuning();
    await fx.dispose();
  }
});

test('on one thread tuneMatmul leaves the chunks per thread alone (nothing to split)', async () => {
  const fx = await createMatmulFixture('simd', 1);
  try {
    let timed = 0;
    const before = getMatmulTuning().prefillChunks;
    const tuned = tuneMatmul(fx.ctx, { tokenBlocks: [4, 8], tokens: 24, shape: [64, 96], reps: 1, onChunksResult: () => timed++ });
    assert.equal(timed, 0);
    assert.equal(tuned.prefillChunks, before);
  } finally {
    resetMatmulTuning();
    await fx.dispose();
  }
});
