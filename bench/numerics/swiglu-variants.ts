// Alternative numerics for ScalarKernels.swiglu (probe only), mirroring ggml's ggml_vec_swiglu_f32:
//  - f32:  every element as its scalar tail does: x / (1 + expf(-x)) · up, each step rounded to f32;
//  - v512 / v256: the first ⌊n/16⌋·16 (AVX-512) or ⌊n/8⌋·8 (AVX2) elements use ggml_v_expf, ggml's
//    polynomial exp (ARM optimized-routines; AVX-512 form: j = poly(b) + 1 scaled by 2^n), the tail libm
//    expf. Only the AVX-512 form of ggml_v_expf is mirrored (the AVX2 one differs in its last step).
import { ScalarKernels } from '../../src/kernels/scalar/index.js';

export type SwigluVariant = 'exact' | 'f32' | 'v512' | 'v256';
export const SWIGLU_VARIANTS: SwigluVariant[] = ['exact', 'f32', 'v512', 'v256'];

type Swiglu = (this: ScalarKernels, gatePtr: number, upPtr: number, outPtr: number, n: number) => void;
const proto = ScalarKernels.prototype as unknown as { swiglu: Swiglu };
const original: Swiglu = proto.swiglu;
const fr = Math.fround;
const fma32 = (a: number, b: number, c: number): number => fr(a * b + c);

// ggml_v_expf's constants (C hex floats 0x1.8p23, 0x1.715476p+0, …).
const SHIFTER = 0x18 * 2 ** 19;
const LOG2E = 0x1715476 / 2 ** 24;
const LN2_HI = 0x162e4 / 2 ** 17;
const LN2_LO = 0x17f7d1c / 2 ** 44;
const C = [0x1ffffec / 2 ** 25, 0x1fffdb6 / 2 ** 26, 0x1555e66 / 2 ** 27, 0x1573e2e / 2 ** 29, 0x10e4020 / 2 ** 31];

/** ggml_v_expf (AVX-512 form) for one lane, in the range silu needs (|n| ≤ 192). */
export function ggmlVExpf(x: number): number {
  const z = fma32(x, LOG2E, SHIFTER);
  const n = fr(z - SHIFTER);
  const b = fr(fr(x - n * LN2_HI) - n * LN2_LO); // two fnmadd
  const u = fr(b * b);
  const j = fma32(fma32(fma32(C[4], b, C[3]), u, fma32(C[2], b, C[1])), u, fma32(C[0], b, 1));
  return fr(j * 2 ** n); // _mm512_scalef_ps
}

export function useSwigluVariant(v: SwigluVariant): void {
  if (v === 'exact') { proto.swiglu = original; return; }
  const width = v === 'v512' ? 16 : v === 'v256' ? 8 : 0;
  proto.swiglu = function (gatePtr, upPtr, outPtr, n) {
    const f32 = new Float32Array(this.memory.buffer);
    const nVec = width ? Math.floor(n / width) * width : 0;
    for (let i = 0; i < n; i++) {
      const x = f32[(gatePtr >> 2) + i];
      const e = i < nVec ? ggmlVExpf(fr(-x)) : fr(Math.exp(-x));
      f32[(outPtr >> 2) + i] = fr(fr(x / fr(1 + e)) * f32[(upPtr >> 2) + i]);
    }
  };
}
