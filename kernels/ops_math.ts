// SIMD building blocks shared by the non-matmul kernels: exp, tanh, silu, gelu and f16 <-> f32
// on four f32 lanes at a time. The scalar forms run the same vector code on one lane, so a value
// gets the same result whether it lands in a vector body or in a tail.

// exp: Cephes expf scheme. x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two for an exact
// reduction), exp(r) by a degree-7 polynomial, 2^n built in the exponent bits.
// Measured worst relative error 8.2e-8 (under 1 ulp) over 200k x in [-87, 88]; below -87.33 it
// returns 0 (the true value would be a denormal), above 88.02 it saturates at exp(88.02)
// instead of overflowing to +inf.
const EXP_HI: f32 = 88.02;
const EXP_LO: f32 = -87.33;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const ROUND_MAGIC: f32 = 12582912.0; // 1.5 · 2^23

// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  const tooSmall = f32x4.lt(x, f32x4.splat(EXP_LO));
  // pmin/pmax are single instructions (min/max's NaN and ±0 rules cost several); a NaN x still
  // comes out NaN, as the operands keep x first.
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  // n = round-to-nearest-even(xc·log2e) by the 1.5·2^23 trick, which also leaves n in the low
  // mantissa bits of nm for 2^n below (|n| ≤ 128, far inside the trick's 2^22 range).
  const nm = f32x4.add(f32x4.mul(xc, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(nm, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(nm, i32x4.splat(127)), 23); // the shift drops the magic's bits
  return v128.andnot(f32x4.mul(y, pow2n), tooSmall);
}

// tanh: Cephes tanhf. |x| < 0.625: odd polynomial (keeps relative accuracy near 0);
// otherwise 1 - 2/(exp(2|x|) + 1). Sign restored at the end. Measured worst relative error 1.3e-7.
// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const a = f32x4.abs(x);
  const z = f32x4.mul(a, a);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), a), a);
  const e = vexp(f32x4.add(a, a));
  const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  const t = v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(0.625)));
  return v128.or(t, sign);
}

/** silu(x) = x / (1 + exp(-x)), as ggml_v_silu. */
// @ts-ignore: decorator
@inline
export function vsilu(x: v128): v128 {
  return f32x4.div(x, f32x4.add(f32x4.splat(1.0), vexp(f32x4.neg(x))));
}

const SQRT_2_OVER_PI: f32 = 0.79788456080286535587989211986876;
const GELU_COEF_A: f32 = 0.044715;

/** gelu, tanh approximation, as ggml_gelu_f32: 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))). */
// @ts-ignore: decorator
@inline
export function vgelu(x: v128): v128 {
  const inner = f32x4.mul(
    f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), x),
    f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.mul(f32x4.splat(GELU_COEF_A), x), x)),
  );
  const t = vtanh(inner);
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1.0), t));
}

// @ts-ignore: decorator
@inline
export function expf1(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline
export function tanhf1(x: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0);
}

/**
 * f16 bits (one per u32 lane) → f32. Shifting the 15 magnitude bits to f32 position and
 * multiplying by 2^112 rebases the exponent; subnormal halves come out exact because the
 * product of an f32 denormal is exact here. f16 inf/nan are not preserved (KV values are finite).
 */
// @ts-ignore: decorator
@inline
export function vhalfToFloat(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const mag = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  return v128.or(f32x4.mul(mag, f32x4.splat(5.192296858534828e33)), sign);
}

/**
 * Rounds each lane to the nearest f16 value (ties to even), kept as f32: adding and subtracting
 * 1.5·2^(e+13), where 2^e is the lane's binade (at least 2^-14, the f16 subnormal spacing), leaves
 * exactly the 11 significant bits f16 keeps. Equals f16→f32(f32→f16(x)) for |x| < 65520 (beyond,
 * f16 would give inf), except that values rounding to zero give +0; 5 ops instead of a round trip.
 */
// @ts-ignore: decorator
@inline
export function vroundHalf(x: v128): v128 {
  const binade = i32x4.max_s(v128.and(x, i32x4.splat(0x7f800000)), i32x4.splat(113 << 23));
  // binade has no mantissa bits, so one add sets both the exponent (+13) and the 1.5 mantissa.
  const magic = i32x4.add(binade, i32x4.splat((13 << 23) | 0x00400000));
  return f32x4.sub(f32x4.add(x, magic), magic);
}

/** Four f16 values at ptr → f32x4. */
// @ts-ignore: decorator
@inline
export function loadHalf4(ptr: usize): v128 {
  return vhalfToFloat(v128.load_ext<u16>(ptr));
}

/**
 * f32 → f16 bits (in u32 lanes), round to nearest even, overflow to inf, nan to 0x7e00: the
 * float-arithmetic scheme of ggml's GGML_COMPUTE_FP32_TO_FP16 (bit-identical to F16C).
 */
// @ts-ignore: decorator
@inline
export function vfloatToHalf(f: v128): v128 {
  const base0 = f32x4.mul(f32x4.mul(f32x4.abs(f), f32x4.splat(5.192296858534828e33)), f32x4.splat(7.703719777548943e-34)); // ·2^112·2^-110
  const shl1 = i32x4.shl(f, 1);
  const sign = v128.and(f, i32x4.splat(0x80000000));
  const bias = i32x4.max_u(v128.and(shl1, i32x4.splat(0xff000000)), i32x4.splat(0x71000000));
  const base = f32x4.add(i32x4.add(i32x4.shr_u(bias, 1), i32x4.splat(0x07800000)), base0);
  const expBits = v128.and(i32x4.shr_u(base, 13), i32x4.splat(0x7c00));
  const mantBits = v128.and(base, i32x4.splat(0x0fff));
  const nonsign = i32x4.add(expBits, mantBits);
  const isNan = i32x4.gt_u(shl1, i32x4.splat(0xff000000));
  return v128.or(i32x4.shr_u(sign, 16), v128.bitselect(i32x4.splat(0x7e00), nonsign, isNan));
}

// @ts-ignore: decorator
@inline
export function halfToFloat1(h: u16): f32 {
  return f32x4.extract_lane(vhalfToFloat(i32x4.splat(<i32>h)), 0);
}

// @ts-ignore: decorator
@inline
export function floatToHalf1(f: f32): u16 {
  return <u16>i32x4.extract_lane(vfloatToHalf(f32x4.splat(f)), 0);
}

/** Horizontal sum in a fixed order: (l0 + l2) + (l1 + l3). */
// @ts-ignore: decorator
@inline
export function hsum(v: v128): f32 {
  const s = f32x4.add(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Lane maximum. */
// @ts-ignore: decorator
@inline
export function hmax(v: v128): f32 {
  const s = f32x4.max(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}
