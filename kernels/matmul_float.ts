// f32 matmul: y[T, N] = x[T, K] · Wᵀ over packed 4-row panels (layout: matmul_common.ts).
// Each column's 4 row values sit in one v128, so a broadcast x[t, k] times it accumulates the
// panel's 4 outputs in the 4 lanes: no horizontal sums. The f16 format runs here too: its weights
// are f16 values widened at load, and the caller rounds the activations to f16 (round_f16_rows),
// as ggml does.
// [r0, r1): rows, r0 a multiple of 4. Tokens go in blocks of tokenBlock, 4 at a time.
import { madd, storeRows, PANEL } from './matmul_common';

export function matmul_f32(w: usize, x: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  const panelBytes = <usize>K << 4;
  const xStride = <usize>K << 2;
  const yStride = <usize>N << 2;
  const p0 = r0 / PANEL;
  const p1 = (r1 + PANEL - 1) / PANEL;
  if (tokenBlock < 4) tokenBlock = 4;
  for (let tb = 0; tb < T; tb += tokenBlock) {
    const te = min(T, tb + tokenBlock);
    let p = p0;
    // two panels at a time share each token's broadcasts: eight independent chains (see panelF32x4x2)
    for (; p + 2 <= p1; p += 2) {
      const wp = w + <usize>p * panelBytes;
      const yp = y + (<usize>(p * PANEL) << 2);
      const rows2 = min(PANEL, N - (p + 1) * PANEL);
      let t = tb;
      for (; t + 4 <= te; t += 4) {
        panelF32x4x2(wp, panelBytes, x + <usize>t * xStride, xStride, K, yp + <usize>t * yStride, yStride, rows2);
      }
      for (; t < te; t++) {
        const xt = x + <usize>t * xStride;
        const yt = yp + <usize>t * yStride;
        panelF32x1(wp, xt, K, yt, PANEL);
        panelF32x1(wp + panelBytes, xt, K, yt + 16, rows2);
      }
    }
    for (; p < p1; p++) {
      const wp = w + <usize>p * panelBytes;
      const rows = min(PANEL, N - p * PANEL);
      const yp = y + (<usize>(p * PANEL) << 2);
      let t = tb;
      for (; t + 4 <= te; t += 4) panelF32x4(wp, x + <usize>t * xStride, xStride, K, yp + <usize>t * yStride, yStride, rows);
      for (; t < te; t++) panelF32x1(wp, x + <usize>t * xStride, K, yp + <usize>t * yStride, rows);
    }
  }
}

// @ts-ignore: decorator
@inline function panelF32x1(wp: usize, x: usize, K: i32, y: usize, rows: i32): void {
  // 4 independent chains over k mod 4
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4, wp += 64, x += 16) {
    c0 = madd(v128.load(wp, 0), v128.load32_splat(x, 0), c0);
    c1 = madd(v128.load(wp, 16), v128.load32_splat(x, 4), c1);
    c2 = madd(v128.load(wp, 32), v128.load32_splat(x, 8), c2);
    c3 = madd(v128.load(wp, 48), v128.load32_splat(x, 12), c3);
  }
  for (; k < K; k++, wp += 16, x += 4) c0 = madd(v128.load(wp), v128.load32_splat(x), c0);
  storeRows(y, f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), rows);
}

// @ts-ignore: decorator
@inline function panelF32x4(wp: usize, x: usize, xs: usize, K: i32, y: usize, ys: usize, rows: i32): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let x1 = x + xs;
  let x2 = x1 + xs;
  let x3 = x2 + xs;
  for (let k = 0; k < K; k++, wp += 16, x += 4, x1 += 4, x2 += 4, x3 += 4) {
    const wv = v128.load(wp);
    c0 = madd(wv, v128.load32_splat(x), c0);
    c1 = madd(wv, v128.load32_splat(x1), c1);
    c2 = madd(wv, v128.load32_splat(x2), c2);
    c3 = madd(wv, v128.load32_splat(x3), c3);
  }
  storeRows(y, c0, rows);
  storeRows(y + ys, c1, rows);
  storeRows(y + 2 * ys, c2, rows);
  storeRows(y + 3 * ys, c3, rows);
}

/**
 * Four tokens against two adjacent panels (rows 0-3 at wp, rows 4-7 at wp + panelBytes; the second
 * has rows2 valid rows): per column two weight loads, four broadcasts shared by both panels and
 * eight multiply-adds on eight independent chains. panelF32x4 alone has four chains, one
 * multiply-add per column each, so it waits on the FMA latency at half the FMA rate. Each output's
 * chain is panelF32x4's, so results are bit-identical to it.
 */
// @ts-ignore: decorator
@inline function panelF32x4x2(wp: usize, panelBytes: usize, x: usize, xs: usize, K: i32, y: usize, ys: usize, rows2: i32): void {
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
  let a1 = f32x4.splat(0), b1 = f32x4.splat(0);
  let a2 = f32x4.splat(0), b2 = f32x4.splat(0);
  let a3 = f32x4.splat(0), b3 = f32x4.splat(0);
  const x1 = x + xs;
  const x2 = x1 + xs;
  const x3 = x2 + xs;
  let wq = wp + panelBytes;
  for (let o: usize = 0, end = (<usize>K) << 2; o < end; o += 4, wp += 16, wq += 16) {
    const wa = v128.load(wp);
    const wb = v128.load(wq);
    let xv = v128.load32_splat(x + o);
    a0 = madd(wa, xv, a0);
    b0 = madd(wb, xv, b0);
    xv = v128.load32_splat(x1 + o);
    a1 = madd(wa, xv, a1);
    b1 = madd(wb, xv, b1);
    xv = v128.load32_splat(x2 + o);
    a2 = madd(wa, xv, a2);
    b2 = madd(wb, xv, b2);
    xv = v128.load32_splat(x3 + o);
    a3 = madd(wa, xv, a3);
    b3 = madd(wb, xv, b3);
  }
  v128.store(y, a0);
  storeRows(y + 16, b0, rows2);
  v128.store(y + ys, a1);
  storeRows(y + ys + 16, b1, rows2);
  v128.store(y + 2 * ys, a2);
  storeRows(y + 2 * ys + 16, b2, rows2);
  v128.store(y + 3 * ys, a3);
  storeRows(y + 3 * ys + 16, b3, rows2);
}
