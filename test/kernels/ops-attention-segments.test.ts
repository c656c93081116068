// Batched attention (Kernels.storeAndAttend): several sequences, each with its own cache, in one
// call. Each segment's result must be bit-identical to storing its K/V and attending alone (WASM),
// whatever it is batched with and however the pool splits the units; and close to the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32ToF16, roundToF16 } from '../../src/gguf/f16.js';
import type { AttentionSegment, AttentionShape, KVType, SegmentAttentionParams } from '../../src/kernels/types.js';
import { attentionWasm, kvStoreWasm, setOpsTuning, storeAndAttendWasm } from '../../src/kernels/wasm/ops.js';
import { assertClose, configurations, randomF32, withOps, type OpsHarness } from './ops-harness.js';

setOpsTuning({ inlineWork: 0 });

/** The shared attention options of a case (scale is 1/sqrt(headDim)). */
type Shape = Omit<AttentionShape, 'scale'>;

/** [tokens, pos0] per segment: decode rows, a short prompt chunk, a tiled-size chunk (≥ 64), an empty history. */
const MIXES: Array<Array<[number, number]>> = [
  [[1, 11], [1, 0], [1, 70], [1, 3]],
  [[1, 11], [5, 0], [70, 3], [1, 0]],
  [[2, 90], [1, 64]],
];

const SHAPES: Shape[] = [
  { nHeads: 4, nKvHeads: 2, headDim: 64, kvType: 'f16', window: 0, softcap: 0 },
  { nHeads: 8, nKvHeads: 4, headDim: 8, kvType: 'f16', window: 0, softcap: 0 },
  { nHeads: 6, nKvHeads: 2, headDim: 16, kvType: 'f16', window: 7, softcap: 2.5 },
  { nHeads: 4, nKvHeads: 4, headDim: 32, kvType: 'f32', window: 0, softcap: 0 },
];

/** A [C, Hkv·D] cache whose first `history` rows hold values and the rest NaN (the store must fill them). */
function putCache(h: OpsHarness, seed: number, rows: number, history: number, rowDim: number, kvType: KVType): number {
  const values = randomF32(seed, rows * rowDim, -2, 2);
  values.fill(NaN, history * rowDim);
  if (kvType === 'f32') return h.putF32(values);
  return h.putU16(Array.from(values, (x) => f32ToF16(roundToF16(x))));
}

interface Setup {
  p: SegmentAttentionParams;
  /** Copies of the caches for the one-segment-at-a-time reference runs. */
  refCaches: Array<{ k: number; v: number }>;
  cacheRows: number[];
}

function setup(h: OpsHarness, s: Shape, mix: Array<[number, number]>, seed: number): Setup {
  const T = mix.reduce((a, [n]) => a + n, 0);
  const kRow = s.nKvHeads * s.headDim;
  const segments: AttentionSegment[] = [];
  const refCaches: Array<{ k: number; v: number }> = [];
  const cacheRows: number[] = [];
  let row = 0;
  mix.forEach(([n, pos0], i) => {
    const rows = pos0 + n + 2;
    const k = putCache(h, seed + 10 * i + 1, rows, pos0, kRow, s.kvType);
    const v = putCache(h, seed + 10 * i + 2, rows, pos0, kRow, s.kvType);
    refCaches.push({ k: putCache(h, seed + 10 * i + 1, rows, pos0, kRow, s.kvType), v: putCache(h, seed + 10 * i + 2, rows, pos0, kRow, s.kvType) });
    cacheRows.push(rows);
    segments.push({ row, nTokens: n, pos0, kCachePtr: k, vCachePtr: v });
    row += n;
  });
  const p: SegmentAttentionParams = {
    qPtr: h.putF32(randomF32(seed, T * s.nHeads * s.headDim, -2, 2)),
    kPtr: h.putF32(randomF32(seed + 7, T * kRow, -2, 2)),
    vPtr: h.putF32(randomF32(seed + 8, T * kRow, -2, 2)),
    outPtr: h.arena.alloc(T * s.nHeads * s.headDim * 4),
    segments, ...s, scale: 1 / Math.sqrt(s.headDim),
  };
  return { p, refCaches, cacheRows };
}

function cacheValues(h: OpsHarness, ptr: number, n: number, kvType: KVType): ArrayLike<number> {
  return kvType === 'f32' ? h.getF32(ptr, n) : h.getU16(ptr, n);
}

for (const { variant, threads } of configurations()) {
  test(`storeAndAttend: each segment bit-identical to running alone, caches written alike (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      SHAPES.forEach((s, si) => MIXES.forEach((mix, mi) => {
        const mark = h.arena.mark();
        const { p, refCaches, cacheRows } = setup(h, s, mix, 100 * si + 10 * mi + 1);
        const what = `${JSON.stringify(s)} ${JSON.stringify(mix)} (${h.label})`;
        const qRow = s.nHeads * s.headDim;
        const kRow = s.nKvHeads * s.headDim;
        storeAndAttendWasm(h.ctx, p);
        p.segments.forEach((seg, i) => {
          const ref = refCaches[i]!;
          kvStoreWasm(h.ctx, p.kPtr + seg.row * kRow * 4, seg.nTokens, kRow, ref.k, s.kvType, seg.pos0);
          kvStoreWasm(h.ctx, p.vPtr + seg.row * kRow * 4, seg.nTokens, kRow, ref.v, s.kvType, seg.pos0);
          const out = h.arena.alloc(seg.nTokens * qRow * 4);
          attentionWasm(h.ctx, {
            qPtr: p.qPtr + seg.row * qRow * 4, kCachePtr: ref.k, vCachePtr: ref.v, outPtr: out, nTokens: seg.nTokens, pos0: seg.pos0,
            nHeads: s.nHeads, nKvHeads: s.nKvHeads, headDim: s.headDim, kvType: s.kvType, scale: p.scale, softcap: s.softcap, window: s.window,
          });
          const n = cacheRows[i]! * kRow;
          assert.deepEqual(cacheValues(h, seg.kCachePtr, n, s.kvType), cacheValues(h, ref.k, n, s.kvType), `${what}: segment ${i} K cache`);
          assert.deepEqual(cacheValues(h, seg.vCachePtr, n, s.kvType), cacheValues(h, ref.v, n, s.kvType), `${what}: segment ${i} V cache`);
          assert.deepEqual(h.getF32(p.outPtr + seg.row * qRow * 4, seg.nTokens * qRow), h.getF32(out, seg.nTokens * qRow), `${what}: segment ${i} output`);
        });
        h.arena.release(mark);
      }));
    });
  });
}

test('storeAndAttend matches the scalar oracle (same per-segment numerics)', async () => {
  await withOps('simd', 2, (h) => {
    SHAPES.forEach((s, si) => {
      const mark = h.arena.mark();
      const mix = MIXES[1]!;
      const a = setup(h, s, mix, 100 * si + 5);
      const b = setup(h, s, mix, 100 * si + 5);
      storeAndAttendWasm(h.ctx, a.p);
      h.scalar.storeAndAttend(b.p);
      const T = mix.reduce((x, [n]) => x + n, 0);
      const n = T * s.nHeads * s.headDim;
      // f16 accumulator rows may differ by an f16 ulp where one rounding flips (see ops-attention.test.ts)
      assertClose(h.getF32(a.p.outPtr, n), h.getF32(b.p.outPtr, n), { atol: 4e-3, rtol: 0 }, JSON.stringify(s));
      h.arena.release(mark);
    });
  });
});

test('storeAndAttend rejects a bad segment with a message naming it', async () => {
  await withOps('simd', 1, (h) => {
    const { p } = setup(h, SHAPES[0]!, MIXES[0]!, 3);
    assert.throws(() => storeAndAttendWasm(h.ctx, { ...p, segments: [...p.segments, { ...p.segments[0]!, pos0: -1 }] }), /pos0/);
    assert.throws(() => storeAndAttendWasm(h.ctx, { ...p, nKvHeads: 3 }), /multiple of nKvHeads/);
  });
});
