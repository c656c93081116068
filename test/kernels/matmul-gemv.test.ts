// The q8 / q4 GEMV (one token: generation) has its own kernels, tuned for streaming; they must round
// exactly like the GEMM (prefill), so a token's logits do not depend on how the prompt was batched.
// Checked bit for bit: each token of a batch against the same token run alone, for every kernel
// build, with even and odd block counts (the GEMV takes two blocks per step) and a partial panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matmulWasm, packedSizeWasm, packWasm } from '../../src/kernels/wasm/matmul.js';
import { availableVariants, createMatmulFixture, put, randomF32, randomQ4_0, randomQ8_0, rng } from './matmul-fixture.js';

// [N, K]: K/32 = 1, 2, 3, 18 blocks; N not a multiple of the 4-row panel, and a single row
const SHAPES: Array<[number, number]> = [[7, 32], [9, 64], [6, 96], [13, 576], [1, 32]];
// every batch size up to 17: the 4-token register kernel and each remainder after it
const TS = Array.from({ length: 17 }, (_, i) => i + 1);

for (const variant of availableVariants()) {
  test(`q8/q4 GEMV equals the GEMM bit for bit (${variant})`, async () => {
    const fx = await createMatmulFixture(variant, 1);
    // the activation scratch first, below the marks: allocated inside a case, its release would
    // hand the next case's weights the same memory
    fx.ctx.scratch('act', 17 * (576 / 32) * 112);
    try {
      for (const format of ['q8', 'q4'] as const) {
        for (const [N, K] of SHAPES) for (const T of TS) {
          const mark = fx.arena.mark();
          const rand = rng(N * 131 + K + T * 7);
          const src = put(fx, format === 'q8' ? randomQ8_0(rand, N, K, true) : randomQ4_0(rand, N, K));
          const w = packWasm(fx.ctx, format, format === 'q8' ? 'q8_0' : 'q4_0', src, N, K, fx.arena.alloc(packedSizeWasm(format, N, K)));
          const x = put(fx, randomF32(rand, T * K, 3)); // [T, K]
          const yBatch = fx.arena.alloc(T * N * 4); // [T, N]
          const yOne = fx.arena.alloc(N * 4); // [1, N]
          matmulWasm(fx.ctx, w, x, yBatch, T);
          for (let t = 0; t < T; t++) {
            matmulWasm(fx.ctx, w, x + t * K * 4, yOne, 1);
            const one = fx.views.f32.slice(yOne >> 2, (yOne >> 2) + N);
            const inBatch = fx.views.f32.slice((yBatch >> 2) + t * N, (yBatch >> 2) + (t + 1) * N);
            assert.deepEqual(one, inBatch, `${format} N=${N} K=${K} T=${T} token ${t}`);
          }
          fx.arena.release(mark);
        }
      }
    } finally {
      await fx.dispose();
    }
  });
}

// The f32 GEMM runs two panels at a time (eight accumulator chains) and a leftover panel alone; each
// output's chain is the same either way, so how a thread's row range pairs panels must not matter.
for (const variant of availableVariants()) {
  test(`f32 GEMM: outputs do not depend on how panels are paired (${variant})`, async () => {
    const [N, K, T] = [12, 1024, 9]; // 3 panels: paired + alone on 1 thread, one each on 3 threads
    const outputs: Float32Array[] = [];
    for (const threads of [1, 3]) {
      const fx = await createMatmulFixture(variant, threads);
      try {
        const rand = rng(77);
        const src = put(fx, randomF32(rand, N * K));
        const w = packWasm(fx.ctx, 'f32', 'f32', src, N, K, fx.arena.alloc(packedSizeWasm('f32', N, K)));
        const x = put(fx, randomF32(rand, T * K, 3));
        const y = fx.arena.alloc(T * N * 4);
        matmulWasm(fx.ctx, w, x, y, T);
        outputs.push(fx.views.f32.slice(y >> 2, (y >> 2) + T * N));
      } finally {
        await fx.dispose();
      }
    }
    assert.deepEqual(outputs[1], outputs[0]);
  });
}
