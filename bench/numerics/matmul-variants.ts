// Alternative numerics for ScalarKernels.matmul, installed by patching its prototype (probe only):
//  - jitter: every output moved by ±1 ulp (seeded): "the same sums in another order", what a
//    different SIMD width or GEMM tiling does to llama.cpp's f32 results;
//  - lanes: q8/q4 block dots in the order of ggml's x86 ggml_vec_dot_q8_0_q8_0 / q4_0_q8_0 (AVX2
//    code, also used by the AVX-512 builds): 8 int32 lanes per block (lane l = products 4l..4l+3),
//    lane accumulators acc_l = fma(d_w·d_x, lane_l, acc_l) over blocks, then hsum_float_8:
//    ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
import { ScalarKernels } from '../../src/kernels/scalar/index.js';
import { quantizeBlockQ8Act } from '../../src/kernels/scalar/quant.js';
import type { PackedWeight } from '../../src/kernels/types.js';

type Matmul = (this: ScalarKernels, w: PackedWeight, xPtr: number, yPtr: number, nTokens: number) => void;
const proto = ScalarKernels.prototype as unknown as { matmul: Matmul };
const original: Matmul = proto.matmul;
const fr = Math.fround;
const QBLOCK = 32;
const QBYTES = 36;

export type MatmulVariant = 'exact' | 'lanes';

/** Seed 0 restores the plain matmul; any other seed jitters outputs by ±1 ulp. */
export function useMatmulJitter(seed: number, variant: MatmulVariant = 'exact'): void {
  const inner = variant === 'lanes' ? matmulLanes : original;
  if (seed === 0) { proto.matmul = inner; return; }
  let state = seed >>> 0;
  const nextBit = (): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state & 1;
  };
  proto.matmul = function (w, xPtr, yPtr, nTokens) {
    inner.call(this, w, xPtr, yPtr, nTokens);
    const y = new Float32Array(this.memory.buffer, yPtr, nTokens * w.rows);
    const bits = new Int32Array(this.memory.buffer, yPtr, nTokens * w.rows);
    for (let i = 0; i < y.length; i++) if (y[i] !== 0) bits[i] += nextBit() ? 1 : -1;
  };
}

const matmulLanes: Matmul = function (w, xPtr, yPtr, nTokens) {
  if (w.format !== 'q8' && w.format !== 'q4') { original.call(this, w, xPtr, yPtr, nTokens); return; }
  const buf = this.memory.buffer;
  const f32 = new Float32Array(buf);
  const i8 = new Int8Array(buf);
  const u8 = new Uint8Array(buf);
  const K = w.cols;
  const nb = K / QBLOCK;
  const qx = new Int8Array(K);
  const dx = new Float64Array(nb);
  const lanes = new Float64Array(8);
  for (let t = 0; t < nTokens; t++) {
    const x = f32.slice((xPtr >> 2) + t * K, (xPtr >> 2) + (t + 1) * K);
    for (let b = 0; b < nb; b++) dx[b] = quantizeBlockQ8Act(x, b * QBLOCK, qx, b * QBLOCK);
    for (let n = 0; n < w.rows; n++) {
      lanes.fill(0);
      for (let b = 0; b < nb; b++) {
        const o = w.ptr + (n * nb + b) * QBYTES;
        const d = fr(f32[o >> 2] * dx[b]);
        for (let l = 0; l < 8; l++) {
          let isum = 0;
          for (let j = 4 * l; j < 4 * l + 4; j++) {
            const qw = w.format === 'q8' ? i8[o + 4 + j] : u8[o + 4 + j] - 8;
            isum += qw * qx[b * QBLOCK + j];
          }
          lanes[l] = fr(d * isum + lanes[l]);
        }
      }
      const a = fr(fr(lanes[0] + lanes[4]) + fr(lanes[2] + lanes[6]));
      const c = fr(fr(lanes[1] + lanes[5]) + fr(lanes[3] + lanes[7]));
      f32[(yPtr >> 2) + t * w.rows + n] = fr(a + c);
    }
  }
};
