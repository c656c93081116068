// Activation quantization for the q8/q4 matmuls: each 32-block of an f32 row becomes a Q8_0
// block exactly like ggml's x86 quantize_row_q8_0 (d = amax/127 rounded to f16, q = nearest-even
// of x * 127/amax), stored in every form the weight kernels want, so they never convert per row.
//
// Activation block, ACT_BLOCK = 112 bytes per (token, 32-block):
//   [0, 64)    q as i16[32]          (i16 widening multiply-add paths)
//   [64, 96)   q as i8[32]           (relaxed q4: signed operand against 0..15 nibbles)
//   96         d f32 (an f16 value)
//   100        -8 · Σq i32           (q4: folds the nibble offset 8 into one add)
import { hmaxF32, hsumI32, roundF16 } from './matmul_common';

export const ACT_BLOCK: i32 = 112;

/** Quantizes tokens [t0, t1) of x [T, K] f32 into act [T, K/32] blocks. */
export function quantize_act_q8(xPtr: usize, actPtr: usize, K: i32, t0: i32, t1: i32): void {
  const nb = K >> 5;
  for (let t = t0; t < t1; t++) {
    let x = xPtr + <usize>t * <usize>K * 4;
    let a = actPtr + <usize>t * <usize>nb * ACT_BLOCK;
    for (let b = 0; b < nb; b++, x += 128, a += ACT_BLOCK) quantizeBlock(x, a);
  }
}

// @ts-ignore: decorator
@inline function quantizeBlock(x: usize, a: usize): void {
  const v0 = v128.load(x, 0);
  const v1 = v128.load(x, 16);
  const v2 = v128.load(x, 32);
  const v3 = v128.load(x, 48);
  const v4 = v128.load(x, 64);
  const v5 = v128.load(x, 80);
  const v6 = v128.load(x, 96);
  const v7 = v128.load(x, 112);
  const m = f32x4.max(
    f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3))),
    f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))),
  );
  const amax = hmaxF32(m);
  const d = roundF16(amax / 127.0);
  const id = f32x4.splat(amax != 0 ? <f32>127.0 / amax : 0);
  const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v0, id)));
  const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v1, id)));
  const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v2, id)));
  const q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v3, id)));
  const q4 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v4, id)));
  const q5 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v5, id)));
  const q6 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v6, id)));
  const q7 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v7, id)));
  const h0 = i16x8.narrow_i32x4_s(q0, q1);
  const h1 = i16x8.narrow_i32x4_s(q2, q3);
  const h2 = i16x8.narrow_i32x4_s(q4, q5);
  const h3 = i16x8.narrow_i32x4_s(q6, q7);
  v128.store(a, h0, 0);
  v128.store(a, h1, 16);
  v128.store(a, h2, 32);
  v128.store(a, h3, 48);
  const b0 = i8x16.narrow_i16x8_s(h0, h1);
  const b1 = i8x16.narrow_i16x8_s(h2, h3);
  v128.store(a, b0, 64);
  v128.store(a, b1, 80);
  store<f32>(a, d, 96);
  const s = i32x4.add(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)), i32x4.add(i32x4.add(q4, q5), i32x4.add(q6, q7)));
  store<i32>(a, -8 * hsumI32(s), 100);
}
