// llama.cpp's CPU GELU: a 65536-entry table indexed by the input's f16 bits
// (ggml_table_gelu_f16[i] = f16(gelu(f16→f32(i)))), with x ≤ -10 → 0 and x ≥ 10 → x.
// Both kernel backends use it so gemma-family logits agree with llama.cpp's (exact gelu moves
// them by ~1e-3). Entries are stored as the f32 value of the f16 result.
import { f16ToF32, f32ToF16 } from '../gguf/f16.js';

const fr = Math.fround;
const SQRT_2_OVER_PI = fr(0.7978845608028654);
const GELU_COEF_A = fr(0.044715);

/** ggml_gelu_f32 in f32 arithmetic. */
export function geluF32(x: number): number {
  const inner = fr(fr(SQRT_2_OVER_PI * x) * fr(1 + fr(fr(GELU_COEF_A * x) * x)));
  return fr(fr(0.5 * x) * fr(1 + fr(Math.tanh(inner))));
}

let table: Float32Array | null = null;

/** The table, built once per process (65536 entries). */
export function geluTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const x = f16ToF32(h);
    table[h] = Number.isFinite(x) ? f16ToF32(f32ToF16(geluF32(x))) : x;
  }
  return table;
}

/** gelu(x) as llama.cpp's CPU backend computes it. */
export function geluLlamaCpp(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  return geluTable()[f32ToF16(x)];
}
