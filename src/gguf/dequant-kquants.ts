// Dequantizers for ggml's 256-element k-quant super-blocks (ggml-common.h, ggml-quants.c dequantize_row_q*_K).
// Each reads `nBlocks` consecutive super-blocks from `src` and writes 256 floats per block.
//
// Super-block layouts (byte offsets):
//   Q2_K (84):  scales[16] @0 (lo nibble scale, hi nibble min) | qs[64] @16 | d f16 @80 | dmin f16 @82
//   Q3_K (110): hmask[32] @0 | qs[64] @32 | scales[12] @96 (sixteen 6-bit scales) | d f16 @108
//   Q4_K (144): d f16 @0 | dmin f16 @2 | scales[12] @4 (eight 6-bit scale/min pairs) | qs[128] @16
//   Q5_K (176): d f16 @0 | dmin f16 @2 | scales[12] @4 | qh[32] @16 | qs[128] @48
//   Q6_K (210): ql[128] @0 | qh[64] @128 | scales[16] int8 @192 | d f16 @208
//   Q8_K (292): d f32 @0 | qs[256] int8 @4 | bsums[16] int16 @260 (bsums unused for dequantization)
import { f16Table } from './f16.js';

const QK_K = 256;

function half(src: Uint8Array, o: number, table: Float32Array): number {
  return table[src[o] | (src[o + 1] << 8)];
}

export function dequantQ2_K(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 84;
    const d = half(src, o + 80, t);
    const dmin = half(src, o + 82, t);
    let y = outOffset + b * QK_K;
    let is = 0;
    // Two halves of 128 values; each reads 32 bytes of qs four times at shifts 0, 2, 4, 6.
    for (let n = 0; n < 2; n++) {
      const q = o + 16 + n * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half16 = 0; half16 < 2; half16++) {
          const sc = src[o + is++];
          const dl = d * (sc & 0x0f);
          const ml = dmin * (sc >> 4);
          for (let l = 0; l < 16; l++) out[y++] = dl * ((src[q + half16 * 16 + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

/** The 6-bit scale `is` (0..15) of a Q3_K block, unpacked from its 12 packed bytes at `s`. */
function q3kScale(src: Uint8Array, s: number, is: number): number {
  if (is < 4) return (src[s + is] & 0x0f) | ((src[s + is + 8] & 3) << 4);
  if (is < 8) return (src[s + is] & 0x0f) | (((src[s + is + 4] >> 2) & 3) << 4);
  if (is < 12) return (src[s + is - 8] >> 4) | (((src[s + is] >> 4) & 3) << 4);
  return (src[s + is - 8] >> 4) | (((src[s + is - 4] >> 6) & 3) << 4);
}

export function dequantQ3_K(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 110;
    const dAll = half(src, o + 108, t);
    let y = outOffset + b * QK_K;
    let is = 0;
    let m = 1; // hmask bit: set means the high bit is 1, clear subtracts 4
    for (let n = 0; n < 2; n++) {
      const q = o + 32 + n * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half16 = 0; half16 < 2; half16++) {
          const dl = dAll * (q3kScale(src, o + 96, is++) - 32);
          for (let l = half16 * 16; l < half16 * 16 + 16; l++) {
            const low = (src[q + l] >> shift) & 3;
            out[y++] = dl * (low - (src[o + l] & m ? 0 : 4));
          }
        }
        m <<= 1;
      }
    }
  }
}

/** Scale and min `j` (0..7) of a Q4_K/Q5_K block: ggml's get_scale_min_k4 over the 12 bytes at `s`. */
function scaleMinK4(src: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [src[s + j] & 63, src[s + j + 4] & 63];
  return [
    (src[s + j + 4] & 0x0f) | ((src[s + j - 4] >> 6) << 4),
    (src[s + j + 4] >> 4) | ((src[s + j] >> 6) << 4),
  ];
}

export function dequantQ4_K(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 144;
    const d = half(src, o, t);
    const dmin = half(src, o + 2, t);
    let y = outOffset + b * QK_K;
    // Four chunks of 64 values: 32 low nibbles with scale 2c, then 32 high nibbles with scale 2c+1.
    for (let c = 0; c < 4; c++) {
      const q = o + 16 + c * 32;
      const [sc1, m1] = scaleMinK4(src, o + 4, 2 * c);
      const [sc2, m2] = scaleMinK4(src, o + 4, 2 * c + 1);
      const d1 = d * sc1, min1 = dmin * m1;
      const d2 = d * sc2, min2 = dmin * m2;
      for (let l = 0; l < 32; l++) out[y++] = d1 * (src[q + l] & 0x0f) - min1;
      for (let l = 0; l < 32; l++) out[y++] = d2 * (src[q + l] >> 4) - min2;
    }
  }
}

export function dequantQ5_K(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 176;
    const d = half(src, o, t);
    const dmin = half(src, o + 2, t);
    const qh = o + 16;
    let y = outOffset + b * QK_K;
    let u1 = 1, u2 = 2; // qh bit pair for this chunk
    for (let c = 0; c < 4; c++) {
      const ql = o + 48 + c * 32;
      const [sc1, m1] = scaleMinK4(src, o + 4, 2 * c);
      const [sc2, m2] = scaleMinK4(src, o + 4, 2 * c + 1);
      const d1 = d * sc1, min1 = dmin * m1;
      const d2 = d * sc2, min2 = dmin * m2;
      for (let l = 0; l < 32; l++) out[y++] = d1 * ((src[ql + l] & 0x0f) + (src[qh + l] & u1 ? 16 : 0)) - min1;
      for (let l = 0; l < 32; l++) out[y++] = d2 * ((src[ql + l] >> 4) + (src[qh + l] & u2 ? 16 : 0)) - min2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}

export function dequantQ6_K(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 210;
    const d = half(src, o + 208, t);
    for (let n = 0; n < 2; n++) {
      const ql = o + n * 64;
      const qh = o + 128 + n * 32;
      const sc = o + 192 + n * 8;
      const y = outOffset + b * QK_K + n * 128;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = src[qh + l];
        const q1 = ((src[ql + l] & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((src[ql + l + 32] & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((src[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((src[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = d * int8(src[sc + is]) * q1;
        out[y + l + 32] = d * int8(src[sc + is + 2]) * q2;
        out[y + l + 64] = d * int8(src[sc + is + 4]) * q3;
        out[y + l + 96] = d * int8(src[sc + is + 6]) * q4;
      }
    }
  }
}

export function dequantQ8_K(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 292;
    const d = view.getFloat32(o, true);
    const y = outOffset + b * QK_K;
    for (let j = 0; j < QK_K; j++) out[y + j] = d * int8(src[o + 4 + j]);
  }
}

function int8(v: number): number {
  return (v << 24) >> 24;
}
