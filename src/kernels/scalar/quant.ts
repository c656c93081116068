// Scalar reference quantizers, f32-faithful (Math.fround at each step) so that they decide
// exactly like ggml's C code does.
import { f16ToF32, f32ToF16 } from '../../gguf/f16.js';

const fr = Math.fround;

/** C roundf: half away from zero. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** Round half to even (SSE/AVX _MM_ROUND_NEAREST, WASM f32x4.nearest). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Q8_0 weight quantization of 32 values (ggml quantize_row_q8_0_ref).
 * Returns the f16-rounded scale; writes 32 ints to q[qOff..].
 */
export function quantizeBlockQ8Ref(x: Float32Array, xOff: number, q: Int8Array, qOff: number): number {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xOff + j]));
  const d = fr(amax / 127);
  const id = d ? fr(1 / d) : 0;
  for (let j = 0; j < 32; j++) q[qOff + j] = roundHalfAway(fr(x[xOff + j] * id));
  return f16ToF32(f32ToF16(d));
}

/**
 * Q8_0 activation quantization as ggml's x86 quantize_row_q8_0 (what llama.cpp runs on CPU):
 * id = 127/amax, q = round-half-even(x * id), scale amax/127 rounded to f16.
 */
export function quantizeBlockQ8Act(x: Float32Array, xOff: number, q: Int8Array, qOff: number): number {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xOff + j]));
  const d = fr(amax / 127);
  const id = amax !== 0 ? fr(127 / amax) : 0;
  for (let j = 0; j < 32; j++) q[qOff + j] = roundHalfEven(fr(x[xOff + j] * id));
  return f16ToF32(f32ToF16(d));
}

/**
 * Q4_0 quantization of 32 values (ggml quantize_row_q4_0_ref). Writes 32 nibble values 0..15
 * (element j < 16 goes to the low nibble of byte j, j + 16 to its high nibble in GGUF).
 */
export function quantizeBlockQ4Ref(x: Float32Array, xOff: number, nib: Uint8Array, nOff: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[xOff + j];
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  const d = fr(max / -8);
  const id = d ? fr(1 / d) : 0;
  for (let j = 0; j < 32; j++) {
    const v = Math.trunc(fr(fr(x[xOff + j] * id) + 8.5));
    nib[nOff + j] = Math.min(15, v);
  }
  return f16ToF32(f32ToF16(d));
}
