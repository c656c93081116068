// Prefill matmuls and attention split their rows into tuning.prefillChunks chunks per thread that
// threads claim as they finish. Rows (and attention units) are independent, so the outputs must be
// bit-identical whatever the chunking and whichever thread ran a chunk: checked on 2 threads for
// every weight format and both KV cache types, with shapes whose rows do not divide evenly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32ToF16 } from '../../src/gguf/f16.js';
import type { AttentionParams, KVType } from '../../src/kernels/types.js';
import { getMatmulTuning, matmulWasm, packedSizeWasm, packWasm, resetMatmulTuning, setMatmulTuning } from '../../src/kernels/wasm/matmul.js';
import { attentionWasm } from '../../src/kernels/wasm/ops.js';
import { availableVariants, createMatmulFixture, put, randomF32, randomQ4_0, randomQ8_0, rng } from './matmul-fixture.js';
import { randomF32 as seededF32, withOps } from './ops-harness.js';

const CHUNKS = [1, 3, 8];

for (const variant of availableVariants()) {
  test(`prefill matmul outputs do not depend on the chunks per thread (${variant}, 2 threads)`, async () => {
    const fx = await createMatmulFixture(variant, 2);
    fx.ctx.scratch('act', 40 * (96 / 32) * 112);
    try {
      for (const format of ['f32', 'q8', 'q4'] as const) {
        // 203 rows: 51 panels, the last partial; T = 40 ≥ the chunked minimum (16)
        const [N, K, T] = [203, 96, 40];
        const rand = rng(N + K + format.length);
        const raw = format === 'q8' ? randomQ8_0(rand, N, K) : format === 'q4' ? randomQ4_0(rand, N, K) : randomF32(rand, N * K);
        const source = format === 'q8' ? 'q8_0' : format === 'q4' ? 'q4_0' : 'f32';
        const w = packWasm(fx.ctx, format, source, put(fx, raw), N, K, fx.arena.alloc(packedSizeWasm(format, N, K)));
        const x = put(fx, randomF32(rand, T * K, 2));
        const y = fx.arena.alloc(T * N * 4);
        const outputs = CHUNKS.map((prefillChunks) => {
          setMatmulTuning({ prefillChunks });
          fx.views.f32.fill(NaN, y >> 2, (y >> 2) + T * N);
          matmulWasm(fx.ctx, w, x, y, T);
          return fx.views.f32.slice(y >> 2, (y >> 2) + T * N);
        });
        assert.ok(outputs[0].every(Number.isFinite), `${format}: every output written`);
        for (let i = 1; i < CHUNKS.length; i++) assert.deepEqual(outputs[i], outputs[0], `${format}: ${CHUNKS[i]} chunks per thread vs 1`);
      }
    } finally {
      resetMatmulTuning();
      await fx.dispose();
    }
  });

  test(`prefill attention outputs do not depend on the chunks per thread (${variant}, 2 threads)`, async () => {
    await withOps(variant, 2, (h) => {
      try {
        for (const kvType of ['f16', 'f32'] as KVType[]) {
          const [T, pos0, H, Hkv, D] = [70, 5, 6, 2, 16];
          const rows = pos0 + T;
          const put16 = (v: Float32Array): number => h.putU16(Array.from(v, (x) => f32ToF16(x)));
          const k = seededF32(11, rows * Hkv * D, -2, 2);
          const v = seededF32(12, rows * Hkv * D, -2, 2);
          const p: AttentionParams = {
            qPtr: h.putF32(seededF32(13, T * H * D, -2, 2)),
            kCachePtr: kvType === 'f16' ? put16(k) : h.putF32(k),
            vCachePtr: kvType === 'f16' ? put16(v) : h.putF32(v),
            outPtr: h.arena.alloc(T * H * D * 4),
            nTokens: T, pos0, nHeads: H, nKvHeads: Hkv, headDim: D, kvType, scale: 0.25, softcap: 0, window: 0,
          };
          const outputs = CHUNKS.map((prefillChunks) => {
            setMatmulTuning({ prefillChunks });
            h.views.f32.fill(NaN, p.outPtr >> 2, (p.outPtr >> 2) + T * H * D);
            attentionWasm(h.ctx, p);
            return h.getF32(p.outPtr, T * H * D);
          });
          assert.ok(outputs[0].every(Number.isFinite), `${kvType}: every output written`);
          for (let i = 1; i < CHUNKS.length; i++) assert.deepEqual(outputs[i], outputs[0], `${kvType}: ${CHUNKS[i]} chunks per thread vs 1`);
        }
      } finally {
        resetMatmulTuning();
      }
    });
  });
}

test('prefillChunks must be a positive integer', () => {
  const before = getMatmulTuning();
  assert.throws(() => setMatmulTuning({ prefillChunks: 0 }), /prefillChunks must be a positive integer, got 0/);
  assert.throws(() => setMatmulTuning({ prefillChunks: 1.5 }), /prefillChunks must be a positive integer/);
  assert.deepEqual(getMatmulTuning(), before);
});
