// IEEE half and bfloat16 conversions (exact, round-to-nearest-even like ggml's GGML_FP32_TO_FP16).

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** f16 bits → f32 value. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero / subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** f32 value → f16 bits, round to nearest even, overflow to ±inf. */
export function f32ToF16(value: number): number {
  f32buf[0] = value;
  return f32BitsToF16(u32buf[0]);
}

/** f32 bit pattern (as from a Uint32Array view) → f16 bits; the bulk path of toF16Bytes. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow
  if (e <= 0) {
    // subnormal half (or zero)
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  const rem = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into exponent: still correct
  return sign | h;
}

/** Round an f32 value to the nearest f16-representable value. */
export function roundToF16(value: number): number {
  return f16ToF32(f32ToF16(value));
}

/** bf16 bits → f32 value. */
export function bf16ToF32(b: number): number {
  u32buf[0] = (b & 0xffff) << 16;
  return f32buf[0];
}

/** f32 → bf16 bits, round to nearest even (as ggml_compute_fp32_to_bf16). */
export function f32ToBf16(value: number): number {
  f32buf[0] = value;
  const u = u32buf[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff; // quiet nan
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}

let halfTable: Float32Array | undefined;

/** A 64K-entry table f16 bits → f32, built once; the fast path for bulk dequantization. */
export function f16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = f16ToF32(h);
  }
  return halfTable;
}
