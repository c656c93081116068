// Matmuls that share their activations (a layer's q, k and v; gate and up) run as one row space:
// one split over the threads (one fork-join) and one activation preparation serve all of them.
// Each row is computed by the same kernel as in a call of its own, so results are bit-identical.
//
// Table (written by src/kernels/wasm/matmul.ts): MANY_INTS i32 per matrix — packed weight, output
// y [T, N], rows N, first row in the shared space. First rows are multiples of PANEL (each matrix
// starts on a panel boundary; the rows between one's end and the next start are skipped), so the
// thread ranges, whole panels, cut every matrix on a panel boundary too.
import { matmul_f32 } from './matmul_float';
import { matmul_q4, matmul_q8 } from './matmul_quant';

const MANY_INTS: usize = 4;
/** format: 0 = f32 panels (f32 and f16 weights), 1 = q8, 2 = q4. */
const FORMAT_Q8: i32 = 1;
const FORMAT_Q4: i32 = 2;

/** Rows [r0, r1) of the shared space of nMats matrices. x: f32 [T, K], or the quantized activations (q8 / q4). */
export function matmul_many(table: usize, nMats: i32, x: usize, K: i32, T: i32, tokenBlock: i32, format: i32, r0: i32, r1: i32): void {
  for (let i = 0; i < nMats; i++) {
    const e = table + (<usize>i) * (MANY_INTS << 2);
    const N = load<i32>(e, 8);
    const first = load<i32>(e, 12);
    const lo = max(r0, first) - first;
    const hi = min(r1 - first, N);
    if (lo >= hi) continue;
    const w = <usize>load<u32>(e);
    const y = <usize>load<u32>(e, 4);
    if (format == FORMAT_Q8) matmul_q8(w, x, y, K, N, T, tokenBlock, lo, hi);
    else if (format == FORMAT_Q4) matmul_q4(w, x, y, K, N, T, tokenBlock, lo, hi);
    else matmul_f32(w, x, y, K, N, T, tokenBlock, lo, hi);
  }
}
