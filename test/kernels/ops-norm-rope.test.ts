// WASM rmsnorm and rope against the scalar oracle and a direct f32 re-statement of ggml's
// arithmetic, in every kernel build at 1 and 2 threads (tiny inputs forced onto the pool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RopeParams } from '../../src/kernels/types.js';
import { rmsnormWasm, ropeWasm, setOpsTuning } from '../../src/kernels/wasm/ops.js';
import type { WasmContext } from '../../src/kernels/wasm/context.js';
import { assertClose, configurations, randomF32, withOps, type OpsHarness } from './ops-harness.js';

setOpsTuning({ inlineWork: 0 });
const fr = Math.fround;

/** ggml rope for one token row [nHeads, headDim]: angles by repeated f32 multiplication (ggml_rope_cache_init). */
function ropeReference(x: Float32Array, pos: number, p: Omit<RopeParams, 'xPtr' | 'posPtr' | 'freqFactorsPtr' | 'nTokens'>, ff?: Float32Array): Float32Array {
  const out = x.slice();
  const half = p.nRot / 2;
  const thetaScale = fr(Math.pow(p.freqBase, fr(-2 / p.nRot)));
  let theta = fr(pos);
  for (let i = 0; i < half; i++) {
    const angle = fr(p.freqScale * fr(theta / (ff ? ff[i] : 1)));
    const c = fr(Math.cos(angle));
    const s = fr(Math.sin(angle));
    theta = fr(theta * thetaScale);
    for (let h = 0; h < p.nHeads; h++) {
      const i0 = h * p.headDim + (p.neox ? i : 2 * i);
      const i1 = h * p.headDim + (p.neox ? i + half : 2 * i + 1);
      out[i0] = fr(fr(x[i0] * c) - fr(x[i1] * s));
      out[i1] = fr(fr(x[i0] * s) + fr(x[i1] * c));
    }
  }
  return out;
}

for (const { variant, threads } of configurations()) {
  test(`rmsnorm matches the oracle, with and without weight, in place (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      for (const [T, dim] of [[1, 1], [1, 3], [2, 37], [5, 64], [70, 576]]) {
        for (const eps of [1e-5, 1e-6]) {
          const x = randomF32(T * dim, T * dim, -3, 3);
          const w = randomF32(dim + 5, dim, 0.5, 1.5);
          const xp = h.putF32(x);
          const wp = h.putF32(w);
          const what = `T=${T} dim=${dim} eps=${eps} (${h.label})`;
          for (const weighted of [true, false]) {
            const got = h.arena.alloc(T * dim * 4);
            const want = h.arena.alloc(T * dim * 4);
            rmsnormWasm(h.ctx, xp, weighted ? wp : 0, got, T, dim, eps);
            h.scalar.rmsnorm(xp, weighted ? wp : 0, want, T, dim, eps);
            assertClose(h.getF32(got, T * dim), h.getF32(want, T * dim), { atol: 1e-7, rtol: 1e-6 }, `${what} weighted=${weighted}`);
            // A direct check that does not lean on the oracle: every row has unit RMS before the weight.
            if (!weighted && dim >= 37) {
              const y = h.getF32(got, T * dim);
              for (let t = 0; t < T; t++) {
                let ss = 0;
                for (let i = 0; i < dim; i++) ss += y[t * dim + i] ** 2;
                let xs = 0;
                for (let i = 0; i < dim; i++) xs += x[t * dim + i] ** 2;
                const expected = (xs / dim) / (xs / dim + eps);
                assert.ok(Math.abs(ss / dim - expected) < 1e-5, `${what}: row ${t} mean square ${ss / dim}, expected ${expected}`);
              }
            }
          }
          const inPlace = h.putF32(x);
          const want = h.arena.alloc(T * dim * 4);
          rmsnormWasm(h.ctx, inPlace, wp, inPlace, T, dim, eps);
          h.scalar.rmsnorm(xp, wp, want, T, dim, eps);
          assertClose(h.getF32(inPlace, T * dim), h.getF32(want, T * dim), { atol: 1e-7, rtol: 1e-6 }, `${what} in place`);
        }
      }
    });
  });

  test(`rope (normal and NeoX, partial nRot, freq factors) matches ggml's f32 arithmetic (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      const cases = [
        { nTokens: 1, nHeads: 1, headDim: 4, nRot: 4, neox: false, freqBase: 10000, freqScale: 1, ff: false },
        { nTokens: 3, nHeads: 2, headDim: 8, nRot: 6, neox: true, freqBase: 10000, freqScale: 1, ff: false },
        { nTokens: 3, nHeads: 2, headDim: 8, nRot: 6, neox: false, freqBase: 500000, freqScale: 1, ff: true },
        { nTokens: 5, nHeads: 3, headDim: 64, nRot: 64, neox: true, freqBase: 1000000, freqScale: 1, ff: true },
        { nTokens: 4, nHeads: 2, headDim: 64, nRot: 32, neox: false, freqBase: 10000, freqScale: 0.25, ff: false },
        { nTokens: 37, nHeads: 9, headDim: 64, nRot: 64, neox: false, freqBase: 100000, freqScale: 1, ff: false },
      ];
      for (const c of cases) {
        const { nTokens: T, nHeads: H, headDim: D } = c;
        const x = randomF32(T * H * D, T * H * D, -2, 2);
        const positions = Array.from({ length: T }, (_, t) => (t === 0 ? 0 : (t * 977 + 13) % 3000));
        const ff = randomF32(D, c.nRot / 2, 1, 8);
        const p: RopeParams = {
          xPtr: h.putF32(x), posPtr: h.putI32(positions), nTokens: T, nHeads: H, headDim: D, nRot: c.nRot,
          freqBase: c.freqBase, freqScale: c.freqScale, neox: c.neox, freqFactorsPtr: c.ff ? h.putF32(ff) : 0,
        };
        const oracle: RopeParams = { ...p, xPtr: h.putF32(x) };
        ropeWasm(h.ctx, p);
        h.scalar.rope(oracle);
        const got = h.getF32(p.xPtr, T * H * D);
        const what = `${JSON.stringify(c)} (${h.label})`;
        for (let t = 0; t < T; t++) {
          const row = x.subarray(t * H * D, (t + 1) * H * D);
          const want = ropeReference(row, positions[t], c, c.ff ? ff : undefined);
          assertClose(got.subarray(t * H * D, (t + 1) * H * D), want, { atol: 1e-6, rtol: 1e-6 }, `${what} token ${t}`);
          for (let hh = 0; hh < H; hh++) {
            for (let d = c.nRot; d < D; d++) assert.equal(got[t * H * D + hh * D + d], row[hh * D + d], `${what}: dim ${d} must pass through`);
          }
        }
        // The oracle computes powf's exponent in f64; over 3000 positions that moves angles by < 1e-4.
        assertClose(got, h.getF32(oracle.xPtr, T * H * D), { atol: 2e-4, rtol: 0 }, `${what} vs oracle`);
      }
    });
  });
}

/** The harness's context with scratch regions reused between calls, as the backend does (rope caches its table there). */
function reusingScratch(h: OpsHarness): WasmContext {
  const regions = new Map<string, { ptr: number; bytes: number }>();
  return {
    ...h.ctx,
    scratch(slot, bytes) {
      const r = regions.get(slot);
      if (r && r.bytes >= bytes) return r.ptr;
      const region = { ptr: h.arena.alloc(bytes), bytes };
      regions.set(slot, region);
      return region.ptr;
    },
  };
}

for (const { variant, threads } of configurations()) {
  test(`rope's cached angle table follows positions and parameters across calls (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      const ctx = reusingScratch(h);
      // Count table builds on the calling thread (with 1 thread every kernel runs there).
      let builds = 0;
      const exports = ctx.pool.exports;
      const build = exports.rope_table_rows;
      exports.rope_table_rows = (...a: number[]) => { builds++; return build(...a); };
      const [H, Hkv, D] = [9, 3, 64];
      const T = 5;
      const posPtr = h.putI32([0, 1, 2, 3, 4]);
      const ff = h.putF32(randomF32(9, D / 2, 1, 8));
      const base: Omit<RopeParams, 'xPtr' | 'nHeads'> = {
        posPtr, nTokens: T, headDim: D, nRot: D, freqBase: 10000, freqScale: 1, neox: true, freqFactorsPtr: 0,
      };
      let seed = 100;
      /** Ropes a fresh random x with p on the WASM side and the oracle; they must agree. */
      const check = (p: Omit<RopeParams, 'xPtr'>, what: string): void => {
        const x = randomF32(seed++, p.nTokens * p.nHeads * D, -2, 2);
        const got = h.putF32(x);
        const want = h.putF32(x);
        ropeWasm(ctx, { ...p, xPtr: got });
        h.scalar.rope({ ...p, xPtr: want });
        assertClose(h.getF32(got, x.length), h.getF32(want, x.length), { atol: 2e-4, rtol: 0 }, `${what} (${h.label})`);
      };
      // One forward: q and k of three layers share one table.
      for (let l = 0; l < 3; l++) {
        check({ ...base, nHeads: H }, `layer ${l} q`);
        check({ ...base, nHeads: Hkv }, `layer ${l} k`);
      }
      if (threads === 1) assert.equal(builds, 1, 'one table for a whole forward');
      // The next forward writes new positions into the same buffer: the table must follow them.
      h.views.i32.set([5, 6, 7, 8, 9], posPtr >> 2);
      check({ ...base, nHeads: H }, 'new positions');
      check({ ...base, nHeads: Hkv }, 'new positions, k');
      if (threads === 1) assert.equal(builds, 2, 'a new table for new positions');
      // Two bases alternating (sliding-window layers) both stay cached; other parameters are keys too.
      for (let l = 0; l < 4; l++) check({ ...base, nHeads: H, freqBase: l % 2 ? 1e6 : 10000 }, `alternating base, layer ${l}`);
      if (threads === 1) assert.equal(builds, 3, 'both bases stay cached');
      check({ ...base, nHeads: H, freqScale: 0.5 }, 'freq scale');
      check({ ...base, nHeads: H, freqFactorsPtr: ff }, 'freq factors');
      check({ ...base, nHeads: H, freqFactorsPtr: ff, neox: false }, 'normal style (same table)');
      check({ ...base, nHeads: H, nRot: 32 }, 'partial nRot');
      check({ ...base, nHeads: H, nTokens: 2 }, 'fewer tokens');
      if (threads === 1) assert.equal(builds, 7, 'scale, factors, nRot and T each need a table; the style does not');
      // A table whose scratch was overwritten (its stamp gone) is rebuilt, not trusted.
      h.views.u8.fill(0, ctx.scratch('misc', 0), ctx.scratch('misc', 0) + 64 * 1024);
      check({ ...base, nHeads: H, nTokens: 2 }, 'after the scratch was overwritten');
      if (threads === 1) assert.equal(builds, 8);
    });
  });
}

test('rope and rmsnorm reject bad shapes with a message naming the problem', async () => {
  await withOps('simd', 1, (h) => {
    const p: RopeParams = {
      xPtr: h.arena.alloc(64), posPtr: h.arena.alloc(4), nTokens: 1, nHeads: 1, headDim: 4, nRot: 5,
      freqBase: 10000, freqScale: 1, neox: false, freqFactorsPtr: 0,
    };
    assert.throws(() => ropeWasm(h.ctx, p), /nRot must be even/);
    assert.throws(() => ropeWasm(h.ctx, { ...p, nRot: 8 }), /nRot must be even and in \[2, headDim=4\]/);
    assert.throws(() => rmsnormWasm(h.ctx, 0, 0, 0, 1, 0, 1e-5), /dim must be an integer ≥ 1/);
  });
});
