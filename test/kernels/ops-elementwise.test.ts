// WASM elementwise ops, activations, KV stores and the SIMD exp/tanh, against the scalar oracle
// and direct math, in every kernel build at 1 and 2 threads (tiny inputs forced onto the pool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32ToF16, roundToF16 } from '../../src/gguf/f16.js';
import {
  addBiasWasm, addWasm, gegluWasm, kvStoreWasm, scaleWasm, setOpsTuning, softcapWasm, swigluWasm,
} from '../../src/kernels/wasm/ops.js';
import { assertClose, configurations, randomF32, withOps, type OpsHarness } from './ops-harness.js';

setOpsTuning({ inlineWork: 0 });

const SIZES = [1, 3, 37, 64, 1000, 4099];

/** Calls the kernel export directly (accuracy probes are not part of the Kernels interface). */
function runExport(h: OpsHarness, fn: string, x: Float32Array): Float32Array {
  const xp = h.putF32(x);
  const op = h.arena.alloc(x.length * 4);
  h.ctx.pool.run(fn, [xp, op], x.length, 64);
  return h.getF32(op, x.length);
}

for (const { variant, threads } of configurations()) {
  test(`elementwise ops match the oracle (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      for (const n of SIZES) {
        const a = randomF32(n, n, -4, 4);
        const b = randomF32(n + 1, n, -4, 4);
        const what = (op: string) => `${op} n=${n} (${h.label})`;
        const ap = h.putF32(a);
        const bp = h.putF32(b);
        const wasmOut = h.arena.alloc(n * 4);
        const refOut = h.arena.alloc(n * 4);

        addWasm(h.ctx, ap, bp, wasmOut, n);
        h.scalar.add(ap, bp, refOut, n);
        assert.deepEqual(h.getF32(wasmOut, n), h.getF32(refOut, n), what('add'));

        swigluWasm(h.ctx, ap, bp, wasmOut, n);
        h.scalar.swiglu(ap, bp, refOut, n);
        assertClose(h.getF32(wasmOut, n), h.getF32(refOut, n), { atol: 1e-7, rtol: 2e-6 }, what('swiglu'));

        gegluWasm(h.ctx, ap, bp, wasmOut, n);
        h.scalar.geglu(ap, bp, refOut, n);
        assertClose(h.getF32(wasmOut, n), h.getF32(refOut, n), { atol: 1e-6, rtol: 2e-6 }, what('geglu'));

        // In place: out aliases a.
        const aCopy = h.putF32(a);
        addWasm(h.ctx, aCopy, bp, aCopy, n);
        h.scalar.add(ap, bp, refOut, n);
        assert.deepEqual(h.getF32(aCopy, n), h.getF32(refOut, n), what('add in place'));

        const x1 = h.putF32(a);
        const x2 = h.putF32(a);
        // The kernel takes s as f32 (as ggml_scale); an f32-exact s makes the oracle agree bit for bit.
        const s = Math.fround(0.37);
        scaleWasm(h.ctx, x1, n, s);
        h.scalar.scale(x2, n, s);
        assert.deepEqual(h.getF32(x1, n), h.getF32(x2, n), what('scale'));

        const big = randomF32(n + 2, n, -120, 120);
        const c1 = h.putF32(big);
        const c2 = h.putF32(big);
        softcapWasm(h.ctx, c1, n, 30);
        h.scalar.softcap(c2, n, 30);
        assertClose(h.getF32(c1, n), h.getF32(c2, n), { atol: 1e-6, rtol: 2e-6 }, what('softcap'));
      }
    });
  });

  test(`addBias adds the bias to every row (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      for (const [T, dim] of [[1, 1], [3, 37], [5, 3], [70, 64]]) {
        const x = randomF32(T * dim, T * dim);
        const bias = randomF32(dim, dim);
        const x1 = h.putF32(x);
        const x2 = h.putF32(x);
        const bp = h.putF32(bias);
        addBiasWasm(h.ctx, x1, bp, T, dim);
        h.scalar.addBias(x2, bp, T, dim);
        assert.deepEqual(h.getF32(x1, T * dim), h.getF32(x2, T * dim), `addBias T=${T} dim=${dim} (${h.label})`);
      }
    });
  });

  test(`kvStore writes f32 rows and RNE f16 rows at row0, nothing else (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      const specials = [
        0, -0, 1, -1, 65504, 65519, 65520, -70000, Infinity, -Infinity, NaN, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-8,
        1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11), 3.0517578125e-5, 1e-3,
      ];
      for (const [T, rowDim, row0] of [[1, 1, 0], [1, 37, 4], [3, 37, 2], [5, 64, 7], [70, 24, 1]]) {
        const n = T * rowDim;
        const src = randomF32(n, n, -3, 3);
        src.set(specials.slice(0, n));
        const srcPtr = h.putF32(src);
        const C = row0 + T + 2;
        const what = `T=${T} rowDim=${rowDim} row0=${row0} (${h.label})`;

        const cache32 = h.putF32(new Float32Array(C * rowDim).fill(-7));
        kvStoreWasm(h.ctx, srcPtr, T, rowDim, cache32, 'f32', row0);
        const got32 = h.getF32(cache32, C * rowDim);
        const want32 = new Float32Array(C * rowDim).fill(-7);
        want32.set(src, row0 * rowDim);
        assert.deepEqual(got32, want32, `f32 ${what}`);

        const cache16 = h.putU16(new Uint16Array(C * rowDim).fill(0xabcd));
        kvStoreWasm(h.ctx, srcPtr, T, rowDim, cache16, 'f16', row0);
        const got16 = h.getU16(cache16, C * rowDim);
        const want16 = new Uint16Array(C * rowDim).fill(0xabcd);
        for (let i = 0; i < n; i++) want16[row0 * rowDim + i] = f32ToF16(src[i]);
        assert.deepEqual(got16, want16, `f16 ${what}`);
      }
    });
  });

  test(`SIMD exp and tanh are within 1e-6 relative error (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      const xs = randomF32(7, 20000, -87, 88);
      xs.set([0, -0, 1e-30, -1e-30, 1, -1, 0.5, 10, -10, 88, -87]);
      const e = runExport(h, 'exp_range', xs);
      let worstExp = 0;
      for (let i = 0; i < xs.length; i++) worstExp = Math.max(worstExp, Math.abs(e[i] - Math.exp(xs[i])) / Math.exp(xs[i]));
      assert.ok(worstExp < 1e-6, `exp: worst relative error ${worstExp} (${h.label})`);

      // Far below the f32 range exp underflows to exactly 0 (softmax relies on it).
      assert.deepEqual([...runExport(h, 'exp_range', new Float32Array([-88, -100, -1e30, -Infinity]))], [0, 0, 0, 0]);

      const ts = randomF32(8, 20000, -12, 12);
      ts.set([0, 1e-30, -1e-30, 1e-4, -1e-4, 0.6249, 0.6251, -0.625, 9, 20, -20, 1e30]);
      const th = runExport(h, 'tanh_range', ts);
      let worstTanh = 0;
      for (let i = 0; i < ts.length; i++) {
        const want = Math.tanh(ts[i]);
        worstTanh = Math.max(worstTanh, want === 0 ? Math.abs(th[i]) : Math.abs(th[i] - want) / Math.abs(want));
      }
      assert.ok(worstTanh < 1e-6, `tanh: worst relative error ${worstTanh} (${h.label})`);
    });
  });

  test(`f16 rounding in f32 lanes equals the f16 round trip (${variant}, ${threads} thread(s))`, async () => {
    await withOps(variant, threads, (h) => {
      const xs = new Float32Array(30000);
      const u = randomF32(9, xs.length, 0, 1);
      // Log-uniform magnitudes from 2^-30 (below the f16 subnormals) to 2^15.9, both signs.
      for (let i = 0; i < xs.length; i++) xs[i] = (i % 2 ? -1 : 1) * 2 ** (-30 + 45.9 * u[i]);
      // Exact ties (to even up and down), subnormal ties, zero, the largest finite half.
      xs.set([0, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11), 2 ** -25, 3 * 2 ** -25, 2 ** -24, 6.1e-5, 65504, 65519]);
      const got = runExport(h, 'round_half_range', xs);
      // === on purpose: values that round to zero come out +0 where f16 keeps -0 (same in every later sum).
      for (let i = 0; i < xs.length; i++) assert.ok(got[i] === roundToF16(xs[i]), `x = ${xs[i]}: got ${got[i]}, expected ${roundToF16(xs[i])} (${h.label})`);
    });
  });
}
