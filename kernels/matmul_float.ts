// f32 / f16 matmul: y[T, N] = x[T, K] · Wᵀ over packed 4-row panels (layout: matmul_common.ts).
// Each column's 4 row values sit in one v128, so a broadcast x[t, k] times it accumulates the
// panel's 4 outputs in the 4 lanes: no horizontal sums. f16 activations are pre-rounded to f16
// (round_f16_rows) by the caller, as ggml does, then everything runs in f32.
// [r0, r1): rows, r0 a multiple of 4. Tokens go in blocks of tokenBlock, 4 at a time.
import { madd, storeRows, PANEL } from './matmul_common';

const FMT_F32: i32 = 0;
const FMT_F16: i32 = 1;

export function matmul_f32(w: usize, x: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  gemmFloat(FMT_F32, w, x, y, K, N, T, tokenBlock, r0, r1);
}

/** x must already hold f16-rounded values. */
export function matmul_f16(w: usize, x: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  gemmFloat(FMT_F16, w, x, y, K, N, T, tokenBlock, r0, r1);
}

// @ts-ignore: decorator
@inline function gemmFloat(fmt: i32, w: usize, x: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  const panelBytes: usize = fmt == FMT_F32 ? <usize>K << 4 : <usize>((K + 1) >> 1) << 4;
  const xStride = <usize>K << 2;
  const yStride = <usize>N << 2;
  const p0 = r0 / PANEL;
  const p1 = (r1 + PANEL - 1) / PANEL;
  if (tokenBlock < 4) tokenBlock = 4;
  for (let tb = 0; tb < T; tb += tokenBlock) {
    const te = min(T, tb + tokenBlock);
    let p = p0;
    if (fmt == FMT_F32) {
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
    }
    for (; p < p1; p++) {
      const wp = w + <usize>p * panelBytes;
      const rows = min(PANEL, N - p * PANEL);
      const yp = y + (<usize>(p * PANEL) << 2);
      let t = tb;
      for (; t + 4 <= te; t += 4) {
        const xt = x + <usize>t * xStride;
        const yt = yp + <usize>t * yStride;
        if (fmt == FMT_F32) panelF32x4(wp, xt, xStride, K, yt, yStride, rows);
        else panelF16x4(wp, xt, xStride, K, yt, yStride, rows);
      }
      for (; t < te; t++) {
        const xt = x + <usize>t * xStride;
        const yt = yp + <usize>t * yStride;
        if (fmt == FMT_F32) panelF32x1(wp, xt, K, yt, rows);
        else panelF16x1(wp, xt, K, yt, rows);
      }
    }
  }
}

// ---- f32 ----

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

// ---- f16 ----

/**
 * f16 bits in the low (which = 0) or high (which = 1) 8 bytes of v → 4 f32. Puts each half in
 * the top 16 bits of a lane, shifts sign/exponent/mantissa into f32 position (arithmetic shift,
 * then mask the smeared sign bits) and rebiases the exponent by multiplying with 2^112; this is
 * exact for normals, subnormals and zero. (Inf/NaN halves come out as large finite values.)
 */
// @ts-ignore: decorator
@inline function halvesToF32(v: v128, high: bool): v128 {
  const z = i32x4.splat(0);
  const u = high
    ? i8x16.shuffle(z, v, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31)
    : i8x16.shuffle(z, v, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const bits = v128.and(i32x4.shr_s(u, 3), i32x4.splat(0x8fffe000));
  return f32x4.mul(bits, f32x4.splat(reinterpret<f32>(0x77800000))); // × 2^112
}

// @ts-ignore: decorator
@inline function panelF16x1(wp: usize, x: usize, K: i32, y: usize, rows: i32): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4, wp += 32, x += 16) {
    const v0 = v128.load(wp, 0);
    const v1 = v128.load(wp, 16);
    c0 = madd(halvesToF32(v0, false), v128.load32_splat(x, 0), c0);
    c1 = madd(halvesToF32(v0, true), v128.load32_splat(x, 4), c1);
    c2 = madd(halvesToF32(v1, false), v128.load32_splat(x, 8), c2);
    c3 = madd(halvesToF32(v1, true), v128.load32_splat(x, 12), c3);
  }
  for (; k < K; k++, wp += 8, x += 4) c0 = madd(halvesToF32(v128.load64_zero(wp), false), v128.load32_splat(x), c0);
  storeRows(y, f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), rows);
}

// @ts-ignore: decorator
@inline function panelF16x4(wp: usize, x: usize, xs: usize, K: i32, y: usize, ys: usize, rows: i32): void {
  let e0 = f32x4.splat(0), o0 = f32x4.splat(0);
  let e1 = f32x4.splat(0), o1 = f32x4.splat(0);
  let e2 = f32x4.splat(0), o2 = f32x4.splat(0);
  let e3 = f32x4.splat(0), o3 = f32x4.splat(0);
  const x1 = x + xs;
  const x2 = x1 + xs;
  const x3 = x2 + xs;
  let k = 0;
  let o: usize = 0;
  for (; k + 2 <= K; k += 2, wp += 16, o += 8) {
    const v = v128.load(wp);
    const we = halvesToF32(v, false);
    const wo = halvesToF32(v, true);
    e0 = madd(we, v128.load32_splat(x + o, 0), e0);
    o0 = madd(wo, v128.load32_splat(x + o, 4), o0);
    e1 = madd(we, v128.load32_splat(x1 + o, 0), e1);
    o1 = madd(wo, v128.load32_splat(x1 + o, 4), o1);
    e2 = madd(we, v128.load32_splat(x2 + o, 0), e2);
    o2 = madd(wo, v128.load32_splat(x2 + o, 4), o2);
    e3 = madd(we, v128.load32_splat(x3 + o, 0), e3);
    o3 = madd(wo, v128.load32_splat(x3 + o, 4), o3);
  }
  if (k < K) {
    const we = halvesToF32(v128.load64_zero(wp), false);
    e0 = madd(we, v128.load32_splat(x + o), e0);
    e1 = madd(we, v128.load32_splat(x1 + o), e1);
    e2 = madd(we, v128.load32_splat(x2 + o), e2);
    e3 = madd(we, v128.load32_splat(x3 + o), e3);
  }
  storeRows(y, f32x4.add(e0, o0), rows);
  storeRows(y + ys, f32x4.add(e1, o1), rows);
  storeRows(y + 2 * ys, f32x4.add(e2, o2), rows);
  storeRows(y + 3 * ys, f32x4.add(e3, o3), rows);
}
