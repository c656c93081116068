// Load-time quantization of f32 rows straight into the q8 / q4 panel layout (matmul_common.ts),
// bit-identical to ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref. [r0, r1): rows, split
// over threads in whole panels. src: [rows, K] f32, K a multiple of 32.
import { hmaxF32, roundF16, PANEL, Q4_PANEL_BLOCK, Q8_PANEL_BLOCK } from './matmul_common';

/** C roundf (half away from zero) on 4 lanes, exactly: nearest-even is wrong only on exact .5 ties. */
// @ts-ignore: decorator
@inline function roundHalfAway(v: v128): v128 {
  const t = f32x4.trunc(v);
  const frac = f32x4.abs(f32x4.sub(v, t)); // exact
  const away = v128.or(v128.and(v, f32x4.splat(-0.0)), f32x4.splat(1.0)); // ±1 with v's sign
  return v128.bitselect(f32x4.add(t, away), t, f32x4.ge(frac, f32x4.splat(0.5)));
}

// @ts-ignore: decorator
@inline function absMax(x: usize): f32 {
  let m = f32x4.abs(v128.load(x));
  for (let i: usize = 16; i < 128; i += 16) m = f32x4.max(m, f32x4.abs(v128.load(x + i)));
  return hmaxF32(m);
}

export function pack_q8_from_f32(src: usize, dst: usize, K: i32, r0: i32, r1: i32): void {
  const nb = K >> 5;
  const panelBytes = <usize>nb * Q8_PANEL_BLOCK;
  for (let r = r0; r < r1; r++) {
    const lane = <usize>(r & (PANEL - 1)) << 2;
    let x = src + <usize>r * <usize>K * 4;
    let blk = dst + <usize>(r / PANEL) * panelBytes;
    for (let b = 0; b < nb; b++, x += 128, blk += Q8_PANEL_BLOCK) {
      const amax = absMax(x);
      const d = amax / 127.0;
      const id = f32x4.splat(d != 0 ? <f32>1.0 / d : 0);
      // 32 quants as i8 in order: lo = elements 0..15, hi = 16..31
      const lo = i8x16.narrow_i16x8_s(
        i16x8.narrow_i32x4_s(q8Lanes(x, 0, id), q8Lanes(x, 16, id)),
        i16x8.narrow_i32x4_s(q8Lanes(x, 32, id), q8Lanes(x, 48, id)),
      );
      const hi = i8x16.narrow_i16x8_s(
        i16x8.narrow_i32x4_s(q8Lanes(x, 64, id), q8Lanes(x, 80, id)),
        i16x8.narrow_i32x4_s(q8Lanes(x, 96, id), q8Lanes(x, 112, id)),
      );
      // group j (elements 4j..4j+3) goes to bytes 16j + 4·lane
      const o = blk + lane;
      v128.store32_lane(o, lo, 0, 0);
      v128.store32_lane(o, lo, 1, 16);
      v128.store32_lane(o, lo, 2, 32);
      v128.store32_lane(o, lo, 3, 48);
      v128.store32_lane(o, hi, 0, 64);
      v128.store32_lane(o, hi, 1, 80);
      v128.store32_lane(o, hi, 2, 96);
      v128.store32_lane(o, hi, 3, 112);
      store<f32>(o, roundF16(d), 128);
    }
  }
}

// @ts-ignore: decorator
@inline function q8Lanes(x: usize, off: usize, id: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(roundHalfAway(f32x4.mul(v128.load(x + off), id)));
}

export function pack_q4_from_f32(src: usize, dst: usize, K: i32, r0: i32, r1: i32): void {
  const nb = K >> 5;
  const panelBytes = <usize>nb * Q4_PANEL_BLOCK;
  for (let r = r0; r < r1; r++) {
    const lane = <usize>(r & (PANEL - 1)) << 2;
    let x = src + <usize>r * <usize>K * 4;
    let blk = dst + <usize>(r / PANEL) * panelBytes;
    for (let b = 0; b < nb; b++, x += 128, blk += Q4_PANEL_BLOCK) {
      // the signed value of largest magnitude, first one on ties (ggml's strict '<')
      let amax: f32 = 0;
      let mx: f32 = 0;
      for (let i: usize = 0; i < 128; i += 4) {
        const v = load<f32>(x + i);
        if (amax < abs<f32>(v)) {
          amax = abs<f32>(v);
          mx = v;
        }
      }
      const d = mx / -8.0;
      const id = f32x4.splat(d != 0 ? <f32>1.0 / d : 0);
      const lo = i8x16.narrow_i16x8_u(
        i16x8.narrow_i32x4_s(q4Lanes(x, 0, id), q4Lanes(x, 16, id)),
        i16x8.narrow_i32x4_s(q4Lanes(x, 32, id), q4Lanes(x, 48, id)),
      );
      const hi = i8x16.narrow_i16x8_u(
        i16x8.narrow_i32x4_s(q4Lanes(x, 64, id), q4Lanes(x, 80, id)),
        i16x8.narrow_i32x4_s(q4Lanes(x, 96, id), q4Lanes(x, 112, id)),
      );
      const bytes = v128.or(lo, i8x16.shl(hi, 4)); // GGUF Q4_0 qs[16]
      const o = blk + lane;
      v128.store32_lane(o, bytes, 0, 0);
      v128.store32_lane(o, bytes, 1, 16);
      v128.store32_lane(o, bytes, 2, 32);
      v128.store32_lane(o, bytes, 3, 48);
      store<f32>(o, roundF16(d), 64);
    }
  }
}

/** min(15, trunc(x·id + 8.5)), in f32 steps like the C code. */
// @ts-ignore: decorator
@inline function q4Lanes(x: usize, off: usize, id: v128): v128 {
  const v = f32x4.add(f32x4.mul(v128.load(x + off), id), f32x4.splat(8.5));
  return i32x4.min_s(i32x4.trunc_sat_f32x4_s(v), i32x4.splat(15));
}
