// Shared pieces of the matmul kernels: packed layout constants, fused multiply-add,
// f16 rounding, and storing one panel's 4 output rows.
//
// Packed weight layout (one source of truth, mirrored in src/kernels/wasm/matmul-layout.ts):
// rows are grouped in panels of PANEL = 4 (the last panel zero-padded); panels are contiguous.
//   f32: per column k, 16 bytes: the 4 rows' values            [K][4] f32
//   f16: as f32, holding f16 values (widened at load; activations are rounded to f16 per call)
//   q8 : per 32-block, 144 bytes: 8 × 16 bytes quants, then 4 × f32 row scales;
//        16-byte group j holds bytes 4r..4r+3 = row r's elements 4j..4j+3 (so a dot product
//        against 4 broadcast activations leaves row r in lane r)
//   q4 : per 32-block, 80 bytes: 4 × 16 bytes nibbles, then 4 × f32 row scales; group j byte
//        4r+i: low nibble = row r element 4j+i, high nibble = element 16+4j+i (GGUF byte 4j+i)

export const PANEL: i32 = 4;
export const Q8_PANEL_BLOCK: i32 = 144;
export const Q4_PANEL_BLOCK: i32 = 80;

/** a * b + c; fused (and reordered) in the relaxed build. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Horizontal sum of the 4 i32 lanes. */
// @ts-ignore: decorator
@inline export function hsumI32(v: v128): i32 {
  const s = i32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1);
}

/** Horizontal max of the 4 f32 lanes. */
// @ts-ignore: decorator
@inline export function hmaxF32(v: v128): f32 {
  const m = f32x4.max(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

/** Round an f32 to the nearest f16 value (ties to even, as F16C / GGML_FP32_TO_FP16), as f32. */
export function roundF16(x: f32): f32 {
  const b = reinterpret<u32>(x);
  const sign = b & 0x80000000;
  const a = b & 0x7fffffff;
  if (a > 0x7f800000) return x; // NaN
  if (a >= 0x477ff000) return reinterpret<f32>(sign | 0x7f800000); // ≥ 65520 → ±inf
  if (a < 0x38800000) {
    // below the smallest normal f16 (2^-14): f16 subnormals are multiples of 2^-24
    const r = nearest<f32>(reinterpret<f32>(a) * 16777216.0) * (1.0 / 16777216.0);
    return reinterpret<f32>(sign | reinterpret<u32>(r));
  }
  const r = (a + 0xfff + ((a >> 13) & 1)) & 0xffffe000;
  return reinterpret<f32>(sign | r);
}

/** roundF16 on 4 lanes. */
// @ts-ignore: decorator
@inline export function roundF16x4(v: v128): v128 {
  const sign = v128.and(v, i32x4.splat(0x80000000));
  const a = v128.and(v, i32x4.splat(0x7fffffff));
  const normal = v128.and(
    i32x4.add(i32x4.add(a, i32x4.splat(0xfff)), v128.and(i32x4.shr_u(a, 13), i32x4.splat(1))),
    i32x4.splat(0xffffe000),
  );
  const tiny = f32x4.mul(f32x4.nearest(f32x4.mul(a, f32x4.splat(16777216.0))), f32x4.splat(1.0 / 16777216.0));
  let r = v128.bitselect(tiny, normal, i32x4.lt_s(a, i32x4.splat(0x38800000)));
  r = v128.bitselect(i32x4.splat(0x7f800000), r, i32x4.ge_s(a, i32x4.splat(0x477ff000)));
  r = v128.bitselect(a, r, i32x4.gt_s(a, i32x4.splat(0x7f800000)));
  return v128.or(r, sign);
}

/** Rounds n f32 values to f16 precision (dst may equal src). The f16 matmul's activation pass. */
export function round_f16_rows(srcPtr: usize, dstPtr: usize, rowLen: i32, r0: i32, r1: i32): void {
  const begin = <usize>r0 * <usize>rowLen;
  const end = <usize>r1 * <usize>rowLen;
  let i = begin;
  for (; i + 4 <= end; i += 4) v128.store(dstPtr + (i << 2), roundF16x4(v128.load(srcPtr + (i << 2))));
  for (; i < end; i++) store<f32>(dstPtr + (i << 2), roundF16(load<f32>(srcPtr + (i << 2))));
}

/** Writes lanes 0..n-1 of v (n ≤ 4 valid rows of a panel) to y. */
// @ts-ignore: decorator
@inline export function storeRows(y: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(y, v);
  } else {
    store<f32>(y, f32x4.extract_lane(v, 0));
    if (n > 1) store<f32>(y, f32x4.extract_lane(v, 1), 4);
    if (n > 2) store<f32>(y, f32x4.extract_lane(v, 2), 8);
  }
}
