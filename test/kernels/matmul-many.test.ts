// matmulMany (a layer's q, k, v — or gate and up — in one split over the threads, activations
// prepared once) must give exactly the values of separate matmul calls: every format, row counts
// that are not whole panels (matrices start on panel boundaries of the shared row space), one
// token and batches, 1 and 3 threads, and a mix of formats (which falls back to separate calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PackedWeight, WeightFormat } from '../../src/kernels/types.js';
import { matmulManyWasm, matmulWasm, packedSizeWasm, packWasm } from '../../src/kernels/wasm/matmul.js';
import { availableVariants, createMatmulFixture, put, randomF32, randomQ4_0, randomQ8_0, rng, type MatmulFixture } from './matmul-fixture.js';

function packed(fx: MatmulFixture, format: WeightFormat, N: number, K: number, seed: number): PackedWeight {
  const rand = rng(seed);
  const src = format === 'q8' ? put(fx, randomQ8_0(rand, N, K)) : format === 'q4' ? put(fx, randomQ4_0(rand, N, K)) : put(fx, randomF32(rand, N * K));
  const source = format === 'q8' ? 'q8_0' : format === 'q4' ? 'q4_0' : 'f32';
  return packWasm(fx.ctx, format, source, src, N, K, fx.arena.alloc(packedSizeWasm(format, N, K)));
}

// rows of each matrix: partial panels, a single row, and one big enough to be split over threads
const ROWS = [[6, 1, 9], [13, 64], [5]];
const TS = [1, 3, 5, 33];

for (const variant of availableVariants()) {
  for (const threads of [1, 3]) {
    test(`matmulMany equals separate matmuls bit for bit (${variant}, ${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const fx = await createMatmulFixture(variant, threads);
      // below every mark: the activation scratch must outlive the cases (see matmul-gemv.test.ts)
      fx.ctx.scratch('act', 33 * 96 * 4 + 4096);
      try {
        for (const format of ['f32', 'f16', 'q8', 'q4'] as const) {
          // f16 is the fallback for rows that are not whole 32-blocks: K = 40 there
          const K = format === 'f16' ? 40 : 96;
          for (const rows of ROWS) for (const T of TS) {
            const mark = fx.arena.mark();
            const what = `${format} rows ${rows} K=${K} T=${T}`;
            const ws = rows.map((N, i) => packed(fx, format, N, K, N * 31 + i + K));
            const x = put(fx, randomF32(rng(T + K), T * K, 3)); // [T, K]
            const many = rows.map((N) => fx.arena.alloc(T * N * 4));
            const alone = rows.map((N) => fx.arena.alloc(T * N * 4));
            matmulManyWasm(fx.ctx, ws, x, many, T);
            ws.forEach((w, i) => matmulWasm(fx.ctx, w, x, alone[i]!, T));
            rows.forEach((N, i) => {
              const got = fx.views.f32.slice(many[i]! >> 2, (many[i]! >> 2) + T * N);
              assert.ok(got.every(Number.isFinite), `${what}: matrix ${i} written`);
              assert.deepEqual(got, fx.views.f32.slice(alone[i]! >> 2, (alone[i]! >> 2) + T * N), `${what}: matrix ${i}`);
            });
            fx.arena.release(mark);
          }
        }
        // formats that differ run as separate calls
        const mark = fx.arena.mark();
        const ws = [packed(fx, 'q8', 8, 64, 1), packed(fx, 'f32', 5, 64, 2)];
        const x = put(fx, randomF32(rng(9), 2 * 64, 3));
        const many = [fx.arena.alloc(2 * 8 * 4), fx.arena.alloc(2 * 5 * 4)];
        const alone = [fx.arena.alloc(2 * 8 * 4), fx.arena.alloc(2 * 5 * 4)];
        matmulManyWasm(fx.ctx, ws, x, many, 2);
        ws.forEach((w, i) => matmulWasm(fx.ctx, w, x, alone[i]!, 2));
        for (const i of [0, 1]) {
          const n = 2 * ws[i]!.rows;
          assert.deepEqual(fx.views.f32.slice(many[i]! >> 2, (many[i]! >> 2) + n), fx.views.f32.slice(alone[i]! >> 2, (alone[i]! >> 2) + n), `mixed formats: matrix ${i}`);
        }
        assert.throws(() => matmulManyWasm(fx.ctx, ws, x, [many[0]!], 2), /2 weights but 1 outputs/);
        fx.arena.release(mark);
      } finally {
        await fx.dispose();
      }
    });
  }
}
