// WASM matmul / pack / embed against (a) a direct f64 computation in this file from the source
// data and (b) the ScalarKernels oracle, for every format × kernel build × threads {1, 2}.
//
// Tolerance: |y - ref| ≤ 1e-5 · Σ_k |w_k · x_k| (+1e-30): f32 accumulation in a different order.
// The integer block sums of q8/q4 are exact, so a wrong quant or sign shows up far above this.
// Embed of q8_0 / q4_0 sources must equal d·q bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f16ToF32, f32ToF16, roundToF16 } from '../../src/gguf/f16.js';
import { dequantQ4_0, dequantQ8_0 } from '../../src/gguf/dequant-legacy.js';
import { ScalarKernels } from '../../src/kernels/scalar/index.js';
import type { PackedWeight, PackSource, WeightFormat } from '../../src/kernels/types.js';
import { embedWasm, matmulWasm, packedSizeWasm, packWasm, resetMatmulTuning, setMatmulTuning } from '../../src/kernels/wasm/matmul.js';
import {
  availableVariants, createMatmulFixture, put, randomF32, randomQ4_0, randomQ8_0, rng, type MatmulFixture,
} from './matmul-fixture.js';

const REL_TOL = 1e-5;

interface Case {
  format: WeightFormat;
  source: PackSource;
  N: number;
  K: number;
  T: number;
  /** Plant -128 quants in q8_0 data (legal in GGUF; a sign-flip trick on them would overflow). */
  minus128?: boolean;
}

const SMALL_SHAPES: Array<[number, number, number]> = [
  // [N, K, T]
  [1, 37, 1], [7, 3, 5], [7, 37, 13], [5, 64, 1], [9, 40, 4],
];
const QUANT_SHAPES: Array<[number, number, number]> = [
  [1, 32, 1], [7, 64, 5], [9, 96, 13], [4, 32, 8], [13, 64, 1],
];
const REALISTIC: [number, number, number] = [1536, 576, 33];

function cases(): Case[] {
  const out: Case[] = [];
  for (const [N, K, T] of SMALL_SHAPES) {
    out.push({ format: 'f32', source: 'f32', N, K, T }, { format: 'f32', source: 'f16', N, K, T });
    out.push({ format: 'f16', source: 'f32', N, K, T }, { format: 'f16', source: 'f16', N, K, T });
  }
  for (const [N, K, T] of QUANT_SHAPES) {
    out.push({ format: 'q8', source: 'f32', N, K, T }, { format: 'q8', source: 'q8_0', N, K, T });
    out.push({ format: 'q4', source: 'f32', N, K, T }, { format: 'q4', source: 'q4_0', N, K, T });
  }
  out.push({ format: 'q8', source: 'q8_0', N: 6, K: 64, T: 5, minus128: true });
  out.push({ format: 'q8', source: 'q8_0', N: 5, K: 96, T: 1, minus128: true });
  const [N, K, T] = REALISTIC;
  for (const [format, source] of [['f32', 'f32'], ['f16', 'f16'], ['q8', 'q8_0'], ['q4', 'q4_0'], ['q8', 'f32']] as const) {
    out.push({ format, source, N, K, T });
  }
  return out;
}

function sourceData(c: Case, seed: number): Uint8Array {
  const rand = rng(seed);
  const n = c.N * c.K;
  switch (c.source) {
    case 'f32': return new Uint8Array(randomF32(rand, n).buffer);
    case 'f16': {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = f32ToF16((rand() * 2 - 1) * (rand() < 0.05 ? 1e-5 : 1)); // some f16 subnormals
      return new Uint8Array(h.buffer);
    }
    case 'q8_0': return randomQ8_0(rand, c.N, c.K, c.minus128);
    case 'q4_0': return randomQ4_0(rand, c.N, c.K);
  }
}

/** Weights as the kernels must see them, straight from the source data; null when only quantization defines them. */
function directWeights(c: Case, src: Uint8Array): Float64Array | null {
  const n = c.N * c.K;
  const out = new Float64Array(n);
  if (c.source === 'q8_0' || c.source === 'q4_0') {
    const f = new Float32Array(n);
    (c.source === 'q8_0' ? dequantQ8_0 : dequantQ4_0)(src, n / 32, f, 0);
    out.set(f);
    return out;
  }
  if (c.format === 'q8' || c.format === 'q4') return null;
  for (let i = 0; i < n; i++) {
    const v = c.source === 'f32' ? new Float32Array(src.buffer)[i] : f16ToF32(new Uint16Array(src.buffer)[i]);
    out[i] = c.format === 'f16' ? roundToF16(v) : v;
  }
  return out;
}

/** Round half to even, written out here independently of the oracle. */
function nearestEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Activations as the kernels must use them: f16-rounded, or Q8_0 (ggml x86) dequantized. */
function effectiveActivations(format: WeightFormat, x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  if (format === 'f32') out.set(x);
  else if (format === 'f16') for (let i = 0; i < x.length; i++) out[i] = roundToF16(x[i]);
  else {
    for (let b = 0; b < x.length; b += 32) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
      const d = roundToF16(Math.fround(amax / 127));
      const id = amax ? Math.fround(127 / amax) : 0;
      for (let j = 0; j < 32; j++) out[b + j] = nearestEven(Math.fround(x[b + j] * id)) * d;
    }
  }
  return out;
}

/** Checks got against the f64 reference; returns Σ|w·x| per output (the tolerance scale). */
function assertClose(got: Float32Array, w: Float64Array, xe: Float64Array, N: number, K: number, T: number, what: string): Float64Array {
  const mags = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      let ref = 0;
      let mag = 0;
      for (let k = 0; k < K; k++) {
        const p = w[n * K + k] * xe[t * K + k];
        ref += p;
        mag += Math.abs(p);
      }
      const y = got[t * N + n];
      mags[t * N + n] = mag;
      if (!(Math.abs(y - ref) <= REL_TOL * mag + 1e-30)) {
        assert.fail(`${what}: y[${t}, ${n}] = ${y}, expected ${ref} (tolerance ${REL_TOL * mag})`);
      }
    }
  }
  return mags;
}

async function runVariant(t: import('node:test').TestContext, variant: 'simd' | 'relaxed', threads: number): Promise<void> {
  const fx: MatmulFixture = await createMatmulFixture(variant, threads);
  const scalar = new ScalarKernels(fx.memory);
  try {
    let seed = 1;
    for (const c of cases()) {
      const name = `${c.source}→${c.format} N=${c.N} K=${c.K} T=${c.T}${c.minus128 ? ' with -128' : ''}`;
      const mark = fx.arena.mark();
      const src = sourceData(c, seed++);
      const x = randomF32(rng(seed++), c.T * c.K, 2);
      const srcPtr = put(fx, src);
      const xPtr = put(fx, x);
      const yPtr = fx.arena.alloc(c.T * c.N * 4);
      const w = packWasm(fx.ctx, c.format, c.source, srcPtr, c.N, c.K, fx.arena.alloc(packedSizeWasm(c.format, c.N, c.K)));
      const ws = scalar.pack(c.format, c.source, srcPtr, c.N, c.K, fx.arena.alloc(scalar.packedSize(c.format, c.N, c.K)));

      // embed every row: the packed layout round-trips, bit-exactly equal to the oracle's rows
      const ids = Int32Array.from({ length: c.N }, (_, i) => c.N - 1 - i);
      const idsPtr = put(fx, ids);
      const eW = fx.arena.alloc(c.N * c.K * 4);
      const eS = fx.arena.alloc(c.N * c.K * 4);
      embedWasm(fx.ctx, w, idsPtr, c.N, eW);
      scalar.embed(ws, idsPtr, c.N, eS);
      const embedded = fx.views.f32.slice(eW >> 2, (eW >> 2) + c.N * c.K);
      assert.deepEqual(embedded, fx.views.f32.slice(eS >> 2, (eS >> 2) + c.N * c.K), `${name}: embed differs from the oracle`);
      const direct = directWeights(c, src);
      if (direct) {
        for (let i = 0; i < c.N; i++) {
          for (let k = 0; k < c.K; k++) {
            if (embedded[i * c.K + k] !== direct[ids[i] * c.K + k]) {
              assert.fail(`${name}: embed row ${ids[i]} col ${k} = ${embedded[i * c.K + k]}, source says ${direct[ids[i] * c.K + k]}`);
            }
          }
        }
      }
      // weights for the direct reference: from the source, or (f32 → q8/q4) the oracle-checked embed
      const wRef = direct ?? Float64Array.from({ length: c.N * c.K }, (_, i) => embedded[(c.N - 1 - Math.floor(i / c.K)) * c.K + (i % c.K)]);

      matmulWasm(fx.ctx, w, xPtr, yPtr, c.T);
      const y = fx.views.f32.slice(yPtr >> 2, (yPtr >> 2) + c.T * c.N);
      const mags = assertClose(y, wRef, effectiveActivations(c.format, x), c.N, c.K, c.T, `${name} vs direct`);

      // the oracle's matmul takes seconds at the realistic shape; there the direct check stands alone
      if (c.N * c.K * c.T > 1e6) {
        fx.arena.release(mark);
        continue;
      }
      scalar.matmul(ws, xPtr, yPtr, c.T);
      const ys = fx.views.f32.slice(yPtr >> 2, (yPtr >> 2) + c.T * c.N);
      for (let i = 0; i < y.length; i++) {
        const tol = REL_TOL * mags[i] + 1e-30;
        if (!(Math.abs(y[i] - ys[i]) <= tol)) assert.fail(`${name}: y[${i}] = ${y[i]}, oracle ${ys[i]}`);
      }
      fx.arena.release(mark);
    }
    t.diagnostic(`${cases().length} cases`);
  } finally {
    await fx.dispose();
  }
}

for (const variant of availableVariants()) {
  for (const threads of [1, 2]) {
    test(`matmul/pack/embed match direct computation and the oracle (${variant}, ${threads} thread${threads > 1 ? 's' : ''})`, async (t) => {
      await runVariant(t, variant, threads);
    });
  }
}

test('token blocks smaller than the batch give the same result', async () => {
  const fx = await createMatmulFixture('simd', 2);
  try {
    const N = 9, K = 64, T = 13;
    const rand = rng(99);
    const srcPtr = put(fx, randomQ4_0(rand, N, K));
    const xPtr = put(fx, randomF32(rand, T * K));
    for (const format of ['q4', 'f32'] as const) {
      const w: PackedWeight = format === 'q4'
        ? packWasm(fx.ctx, 'q4', 'q4_0', srcPtr, N, K, fx.arena.alloc(packedSizeWasm('q4', N, K)))
        : packWasm(fx.ctx, 'f32', 'f32', xPtr, T, K, fx.arena.alloc(packedSizeWasm('f32', T, K)));
      const y1 = fx.arena.alloc(T * w.rows * 4);
      const y2 = fx.arena.alloc(T * w.rows * 4);
      matmulWasm(fx.ctx, w, xPtr, y1, T);
      setMatmulTuning({ tokenBlock: 4 });
      matmulWasm(fx.ctx, w, xPtr, y2, T);
      resetMatmulTuning();
      const n = T * w.rows;
      assert.deepEqual(fx.views.f32.slice(y2 >> 2, (y2 >> 2) + n), fx.views.f32.slice(y1 >> 2, (y1 >> 2) + n), format);
    }
    assert.throws(() => setMatmulTuning({ tokenBlock: 6 }), /multiple of 4/);
  } finally {
    resetMatmulTuning();
    await fx.dispose();
  }
});

test('packing f32 in place (source overlapping the destination) equals packing from a copy', async () => {
  const fx = await createMatmulFixture('simd', 2);
  try {
    const N = 7, K = 96;
    const data = randomF32(rng(7), N * K);
    for (const format of ['q8', 'q4', 'f32', 'f16'] as const) {
      const bytes = packedSizeWasm(format, N, K);
      const apart = packWasm(fx.ctx, format, 'f32', put(fx, data), N, K, fx.arena.alloc(bytes));
      const inPlacePtr = fx.arena.alloc(Math.max(bytes, data.byteLength));
      fx.views.f32.set(data, inPlacePtr >> 2);
      const inPlace = packWasm(fx.ctx, format, 'f32', inPlacePtr, N, K, inPlacePtr);
      assert.deepEqual(fx.views.u8.slice(inPlace.ptr, inPlace.ptr + bytes), fx.views.u8.slice(apart.ptr, apart.ptr + bytes), format);
    }
  } finally {
    await fx.dispose();
  }
});

test('pack and embed reject bad input with a clear error', async () => {
  const fx = await createMatmulFixture('simd', 1);
  try {
    const src = put(fx, new Float32Array(64 * 4));
    const dst = fx.arena.alloc(1 << 16);
    assert.throws(() => packWasm(fx.ctx, 'q8', 'q4_0', src, 4, 64, dst), /q4_0->q8/);
    assert.throws(() => packWasm(fx.ctx, 'f16', 'q8_0', src, 4, 64, dst), /q8_0->f16/);
    assert.throws(() => packWasm(fx.ctx, 'q8', 'f32', src, 4, 48, dst), /multiple of 32/);
    assert.throws(() => packWasm(fx.ctx, 'q4', 'f32', src, 4, 40, dst), /multiple of 32/);
    const w = packWasm(fx.ctx, 'q8', 'f32', src, 4, 64, dst);
    const ids = put(fx, Int32Array.from([0, 4]));
    assert.throws(() => embedWasm(fx.ctx, w, ids, 2, fx.arena.alloc(2 * 64 * 4)), /token id 4 .*out of range/);
  } finally {
    await fx.dispose();
  }
});
