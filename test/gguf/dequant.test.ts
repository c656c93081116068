// Dequantization against hand-built blocks. Blocks are packed here the way ggml's quantize_row_*_ref
// packs them (an independent path from the dequantizers' unpacking), and the expected values come
// from the format's defining formula, computed in the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize, dequantizeRows } from '../../src/gguf/dequant.js';
import { GGMLType, GGUFError } from '../../src/gguf/types.js';
import { readGGUF, readTensorBytes } from '../../src/gguf/reader.js';
import { needData } from '../helpers/data.js';

// Exact f16 bit patterns of a few values.
const H = { one: 0x3c00, half: 0x3800, quarter: 0x3400, eighth: 0x3000, two: 0x4000, minusOne: 0xbc00 };

function putHalf(b: Uint8Array, o: number, h: number): void {
  b[o] = h & 0xff;
  b[o + 1] = h >> 8;
}

function run(type: GGMLType, block: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  dequantize(type, block, n, out);
  return out;
}

test('F32, F16 (incl. subnormal and inf) and BF16', () => {
  const f32 = new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer);
  assert.deepEqual([...run(GGMLType.F32, f32, 3)], [1.5, -2, 3.25]);
  // an unaligned F32 source goes through the DataView path
  const unaligned = new Uint8Array(13);
  unaligned.set(f32, 1);
  assert.deepEqual([...run(GGMLType.F32, unaligned.subarray(1), 3)], [1.5, -2, 3.25]);

  const f16 = new Uint8Array(8);
  putHalf(f16, 0, H.one);
  putHalf(f16, 2, 0xc000); // -2
  putHalf(f16, 4, 0x0001); // smallest subnormal 2^-24
  putHalf(f16, 6, 0x7c00); // +inf
  assert.deepEqual([...run(GGMLType.F16, f16, 4)], [1, -2, 2 ** -24, Infinity]);

  const bf16 = new Uint8Array(4);
  putHalf(bf16, 0, 0x3f80); // 1.0
  putHalf(bf16, 2, 0xc040); // -3.0
  assert.deepEqual([...run(GGMLType.BF16, bf16, 2)], [1, -3]);
});

test('Q8_0: d·q with signed bytes', () => {
  const b = new Uint8Array(34);
  putHalf(b, 0, H.eighth);
  for (let j = 0; j < 32; j++) b[2 + j] = (j - 16) & 0xff;
  const out = run(GGMLType.Q8_0, b, 32);
  for (let j = 0; j < 32; j++) assert.equal(out[j], (j - 16) * 0.125);
});

test('Q4_0: low nibbles are values 0..15, high nibbles 16..31, offset 8', () => {
  const b = new Uint8Array(18);
  putHalf(b, 0, H.half);
  for (let j = 0; j < 16; j++) b[2 + j] = j | ((15 - j) << 4);
  const out = run(GGMLType.Q4_0, b, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(out[j], (j - 8) * 0.5);
    assert.equal(out[j + 16], (15 - j - 8) * 0.5);
  }
});

test('Q4_1: q·d + m', () => {
  const b = new Uint8Array(20);
  putHalf(b, 0, H.quarter);
  putHalf(b, 2, H.minusOne);
  for (let j = 0; j < 16; j++) b[4 + j] = j | (((j * 3) % 16) << 4);
  const out = run(GGMLType.Q4_1, b, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(out[j], j * 0.25 - 1);
    assert.equal(out[j + 16], ((j * 3) % 16) * 0.25 - 1);
  }
});

test('Q5_0: fifth bit from qh, offset 16', () => {
  const b = new Uint8Array(22);
  putHalf(b, 0, H.one);
  const qh = (1 << 0) | (1 << 17); // value 0 and value 17 get the high bit
  b[2] = qh & 0xff; b[3] = (qh >>> 8) & 0xff; b[4] = (qh >>> 16) & 0xff; b[5] = qh >>> 24;
  for (let j = 0; j < 16; j++) b[6 + j] = 1 | (2 << 4);
  const out = run(GGMLType.Q5_0, b, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(out[j], (j === 0 ? 17 : 1) - 16);
    assert.equal(out[j + 16], (j === 1 ? 18 : 2) - 16);
  }
});

test('Q5_1: q·d + m with all high bits set', () => {
  const b = new Uint8Array(24);
  putHalf(b, 0, H.two);
  putHalf(b, 2, H.half);
  b.fill(0xff, 4, 8);
  for (let j = 0; j < 16; j++) b[8 + j] = j | (j << 4);
  const out = run(GGMLType.Q5_1, b, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(out[j], (16 + j) * 2 + 0.5);
    assert.equal(out[j + 16], (16 + j) * 2 + 0.5);
  }
});

/** Pack eight 6-bit (scale, min) pairs as quantize_row_q4_K_ref does. */
function packScaleMinK4(sc: number[], mn: number[]): Uint8Array {
  const s = new Uint8Array(12);
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      s[j] = sc[j];
      s[j + 4] = mn[j];
    } else {
      s[j + 4] = (sc[j] & 0xf) | ((mn[j] & 0xf) << 4);
      s[j - 4] |= (sc[j] >> 4) << 6;
      s[j] |= (mn[j] >> 4) << 6;
    }
  }
  return s;
}

const SC = [1, 2, 3, 4, 17, 33, 48, 63];
const MN = [0, 1, 2, 3, 20, 40, 50, 63];

test('Q4_K: eight 32-value sub-blocks, 6-bit scales and mins', () => {
  const b = new Uint8Array(144);
  putHalf(b, 0, H.one);
  putHalf(b, 2, H.half);
  b.set(packScaleMinK4(SC, MN), 4);
  // value e of 256: chunk c = e>>6 uses byte 32c + (e&31), low nibble in the first 32, high in the second
  const L = Array.from({ length: 256 }, (_, e) => (e * 7 + (e >> 5)) % 16);
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) b[16 + 32 * c + l] = L[64 * c + l] | (L[64 * c + 32 + l] << 4);
  }
  const out = run(GGMLType.Q4_K, b, 256);
  for (let e = 0; e < 256; e++) {
    const sub = e >> 5;
    assert.equal(out[e], 1 * SC[sub] * L[e] - 0.5 * MN[sub], `value ${e}`);
  }
});

test('Q5_K: 4 low bits in qs, fifth bit in qh', () => {
  const b = new Uint8Array(176);
  putHalf(b, 0, H.half);
  putHalf(b, 2, H.quarter);
  b.set(packScaleMinK4(SC, MN), 4);
  const L = Array.from({ length: 256 }, (_, e) => (e * 11 + 3) % 32);
  // quantize_row_q5_K_ref packing
  let m1 = 1, m2 = 2;
  for (let n = 0; n < 256; n += 64) {
    for (let j = 0; j < 32; j++) {
      let l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) { l1 -= 16; b[16 + j] |= m1; }
      if (l2 > 15) { l2 -= 16; b[16 + j] |= m2; }
      b[48 + n / 2 + j] = l1 | (l2 << 4);
    }
    m1 <<= 2; m2 <<= 2;
  }
  const out = run(GGMLType.Q5_K, b, 256);
  for (let e = 0; e < 256; e++) {
    const sub = e >> 5;
    assert.equal(out[e], 0.5 * SC[sub] * L[e] - 0.25 * MN[sub], `value ${e}`);
  }
});

test('Q6_K: 6-bit values split over ql/qh, signed 8-bit scales per 16 values', () => {
  const b = new Uint8Array(210);
  putHalf(b, 208, H.half);
  const scales = Array.from({ length: 16 }, (_, i) => i * 9 - 70); // includes negatives
  for (let i = 0; i < 16; i++) b[192 + i] = scales[i] & 0xff;
  const L = Array.from({ length: 256 }, (_, e) => (e * 7) % 64);
  // quantize_row_q6_K_ref packing
  for (let j = 0; j < 256; j += 128) {
    const ql = j / 2, qh = 128 + j / 4;
    for (let l = 0; l < 32; l++) {
      const q1 = L[j + l] & 0xf, q2 = L[j + l + 32] & 0xf, q3 = L[j + l + 64] & 0xf, q4 = L[j + l + 96] & 0xf;
      b[ql + l] = q1 | (q3 << 4);
      b[ql + l + 32] = q2 | (q4 << 4);
      b[qh + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
    }
  }
  const out = run(GGMLType.Q6_K, b, 256);
  for (let e = 0; e < 256; e++) assert.equal(out[e], 0.5 * scales[e >> 4] * (L[e] - 32), `value ${e}`);
});

test('Q2_K: 2-bit values, 4-bit scale and min per 16 values', () => {
  const b = new Uint8Array(84);
  putHalf(b, 80, H.half);
  putHalf(b, 82, H.quarter);
  const sc = Array.from({ length: 16 }, (_, i) => (i * 5 + 1) % 16);
  const mn = Array.from({ length: 16 }, (_, i) => 15 - i);
  for (let i = 0; i < 16; i++) b[i] = sc[i] | (mn[i] << 4);
  const L = Array.from({ length: 256 }, (_, e) => (e * 3 + (e >> 5)) & 3);
  // quantize_row_q2_K_ref packing
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      b[16 + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
    }
  }
  const out = run(GGMLType.Q2_K, b, 256);
  for (let e = 0; e < 256; e++) {
    const g = e >> 4;
    assert.equal(out[e], 0.5 * sc[g] * L[e] - 0.25 * mn[g], `value ${e}`);
  }
});

test('Q3_K: 3-bit values (2 in qs, 1 in hmask), 6-bit scales offset 32', () => {
  const b = new Uint8Array(110);
  putHalf(b, 108, H.quarter);
  const Ls = Array.from({ length: 16 }, (_, j) => (j * 13 + 5) % 64);
  // quantize_row_q3_K_ref scale packing
  const s = new Uint8Array(12);
  for (let j = 0; j < 16; j++) {
    let l = Ls[j];
    if (j < 8) s[j] = l & 0xf; else s[j - 8] |= (l & 0xf) << 4;
    l >>= 4;
    s[(j % 4) + 8] |= l << (2 * Math.floor(j / 4));
  }
  b.set(s, 96);
  const L = Array.from({ length: 256 }, (_, e) => (e * 5 + (e >> 4)) % 8); // 0..7, value = L - 4
  // quantize_row_q3_K_ref hmask and qs packing
  const Lq = [...L];
  let m = 0, hm = 1;
  for (let j = 0; j < 256; j++) {
    if (Lq[j] > 3) { b[m] |= hm; Lq[j] -= 4; }
    if (++m === 32) { m = 0; hm <<= 1; }
  }
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      b[32 + j / 4 + l] = Lq[j + l] | (Lq[j + l + 32] << 2) | (Lq[j + l + 64] << 4) | (Lq[j + l + 96] << 6);
    }
  }
  const out = run(GGMLType.Q3_K, b, 256);
  for (let e = 0; e < 256; e++) assert.equal(out[e], 0.25 * (Ls[e >> 4] - 32) * (L[e] - 4), `value ${e}`);
});

test('Q8_K: f32 scale times int8', () => {
  const b = new Uint8Array(292);
  new DataView(b.buffer).setFloat32(0, 0.75, true);
  for (let j = 0; j < 256; j++) b[4 + j] = (j - 128) & 0xff;
  const out = run(GGMLType.Q8_K, b, 256);
  for (let j = 0; j < 256; j++) assert.equal(out[j], 0.75 * (j - 128));
});

test('several blocks in a row and an output offset', () => {
  const b = new Uint8Array(34 * 2);
  putHalf(b, 0, H.one);
  putHalf(b, 34, H.two);
  b[2] = 5;
  b[36] = 0xfd; // -3
  const out = new Float32Array(70).fill(NaN);
  dequantize(GGMLType.Q8_0, b, 64, out, 3);
  assert.ok(Number.isNaN(out[2]));
  assert.equal(out[3], 5);
  assert.equal(out[3 + 32], -6);
  assert.ok(Number.isNaN(out[67]));
});

test('dequantizeRows picks rows out of a Q8_0 matrix', () => {
  const rowLen = 64; // two blocks per row
  const b = new Uint8Array(3 * 2 * 34);
  for (let blk = 0; blk < 6; blk++) {
    putHalf(b, blk * 34, H.one);
    b[blk * 34 + 2] = blk; // first value of each block = block index
  }
  const out = new Float32Array(2 * rowLen);
  dequantizeRows(GGMLType.Q8_0, b, rowLen, 1, 2, out);
  assert.deepEqual([out[0], out[32], out[64], out[96]], [2, 3, 4, 5]);
  assert.throws(() => dequantizeRows(GGMLType.Q8_0, b, rowLen, 2, 2, out), RangeError);
});

test('unsupported types and bad sizes give GGUFError naming the problem', () => {
  const out = new Float32Array(256);
  assert.throws(() => dequantize(GGMLType.IQ2_XXS, new Uint8Array(66), 256, out), (e: unknown) => e instanceof GGUFError && /IQ2_XXS/.test(e.message));
  assert.throws(() => dequantize(GGMLType.Q8_0, new Uint8Array(34), 16, out), (e: unknown) => e instanceof GGUFError && /whole number of Q8_0 blocks/.test(e.message));
  assert.throws(() => dequantize(GGMLType.Q8_0, new Uint8Array(33), 32, out), (e: unknown) => e instanceof GGUFError && /need 34 bytes/.test(e.message));
});

test('real Q8_0/Q4_0 files dequantize close to the F32 original', (t) => {
  const paths = needData(t, 'models/stories260K.gguf', 'models/stories260K-q8_0.gguf', 'models/stories260K-q4_0.gguf');
  if (!paths) return;
  const [f32Path, ...quantPaths] = paths;
  const ref = readGGUF(f32Path);
  for (const path of quantPaths) {
    const file = readGGUF(path);
    for (const info of file.tensors) {
      if (info.type !== GGMLType.Q8_0 && info.type !== GGMLType.Q4_0) continue;
      const refInfo = ref.tensors.find((r) => r.name === info.name)!;
      const raw = Buffer.alloc(refInfo.nBytes);
      readTensorBytes(ref, refInfo, raw);
      const x = new Float32Array(raw.buffer, raw.byteOffset, refInfo.nElements);
      const q = Buffer.alloc(info.nBytes);
      readTensorBytes(file, info, q);
      const y = new Float32Array(info.nElements);
      dequantize(info.type, q, info.nElements, y);
      // per block: |error| ≤ step/2 (plus f16 rounding of the scale) for Q8_0; Q4_0 may clip the top value by one step
      for (let blk = 0; blk < info.nElements / 32; blk++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
        const step = info.type === GGMLType.Q8_0 ? amax / 127 : amax / 8;
        const bound = info.type === GGMLType.Q8_0 ? 0.6 * step : 1.01 * step;
        for (let j = 0; j < 32; j++) {
          const i = blk * 32 + j;
          assert.ok(Math.abs(y[i] - x[i]) <= bound, `${path} ${info.name}[${i}]: ${y[i]} vs ${x[i]}`);
        }
      }
    }
  }
});
