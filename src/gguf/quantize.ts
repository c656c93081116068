// Quantizers bit-exact with ggml's reference ones (ggml-quants.c quantize_row_*_ref), which is what
// llama.cpp's quantize tool runs for Q8_0 / Q4_0 when no importance matrix is given.
// All arithmetic is done in f32 (Math.fround) exactly as the C code does.
import { f32BitsToF16, f32ToF16 } from './f16.js';
import { GGMLType, GGUFError, ggmlTypeName } from './types.js';

const QK = 32;
const fround = Math.fround;

function checkBlocks(x: Float32Array, what: string): number {
  if (x.length % QK !== 0) throw new GGUFError(`${what}: ${x.length} values is not a multiple of the block size ${QK}`);
  return x.length / QK;
}

/** C roundf: halves round away from zero (Math.round rounds them up). */
function roundf(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** quantize_row_q8_0_ref: per 32 values, d = amax/127, q = roundf(x/d); block = d f16 | qs[32] int8. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nBlocks = checkBlocks(x, 'quantizeQ8_0');
  const out = new Uint8Array(nBlocks * 34);
  for (let b = 0; b < nBlocks; b++) {
    const base = b * QK;
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const a = Math.abs(x[base + j]);
      if (a > amax) amax = a;
    }
    const d = fround(amax / 127);
    const id = d ? fround(1 / d) : 0;
    const o = b * 34;
    const h = f32ToF16(d);
    out[o] = h & 0xff;
    out[o + 1] = h >> 8;
    for (let j = 0; j < QK; j++) out[o + 2 + j] = roundf(fround(x[base + j] * id)) & 0xff;
  }
  return out;
}

/**
 * quantize_row_q4_0_ref: per 32 values, d = (the value of largest magnitude, sign kept) / -8,
 * q = min(15, trunc(x/d + 8.5)); block = d f16 | qs[16], low nibbles hold values 0..15, high nibbles 16..31.
 */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  const nBlocks = checkBlocks(x, 'quantizeQ4_0');
  const out = new Uint8Array(nBlocks * 18);
  for (let b = 0; b < nBlocks; b++) {
    const base = b * QK;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[base + j];
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = fround(max / -8);
    const id = d ? fround(1 / d) : 0;
    const o = b * 18;
    const h = f32ToF16(d);
    out[o] = h & 0xff;
    out[o + 1] = h >> 8;
    for (let j = 0; j < QK / 2; j++) {
      const q0 = Math.min(15, Math.trunc(fround(fround(x[base + j] * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(fround(fround(x[base + 16 + j] * id) + 8.5)));
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

/** f32 values → little-endian IEEE half bytes (round to nearest even, as GGML_FP32_TO_FP16). */
export function toF16Bytes(x: Float32Array): Uint8Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint8Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    const h = f32BitsToF16(bits[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}

/** f32 values → little-endian f32 bytes (a copy). */
export function toF32Bytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 4);
  new Float32Array(out.buffer).set(x);
  return out;
}

/** Encode f32 values as `type` (F32, F16, Q8_0 or Q4_0). */
export function quantize(type: GGMLType, x: Float32Array): Uint8Array {
  switch (type) {
    case GGMLType.F32: return toF32Bytes(x);
    case GGMLType.F16: return toF16Bytes(x);
    case GGMLType.Q8_0: return quantizeQ8_0(x);
    case GGMLType.Q4_0: return quantizeQ4_0(x);
    default: throw new GGUFError(`cannot quantize to ${ggmlTypeName(type)}: only F32, F16, Q8_0 and Q4_0 are supported`);
  }
}
