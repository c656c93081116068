// q8 / q4 matmul: y[T, N] = act[T, K] · Wᵀ over packed 4-row panels (layout: matmul_common.ts),
// activations pre-quantized by quantize_act_q8 (matmul_act.ts).
//
// Per 32-block the integer dot product is exact; it is scaled by d_w · d_x and accumulated in f32.
// Integer paths (both give the exact block sums):
//   - q8: i8 → i16 widening, i32x4.dot_i16x8_s, in every build. Measured here (V8 11.3, Zen 4) the
//     relaxed dot product with its sign trick (|x|, w·sign(x)) was slower: GEMV 17 vs 21.5 GB/s,
//     GEMM 24 vs 60 GFLOP/s; and it cannot negate a -128 weight, which GGUF Q8_0 data may hold.
//   - q4, relaxed build: i16x8.relaxed_dot_i8x16_i7x16_s with the 0..15 nibbles as the 7-bit
//     operand (no sign trick), a whole block in i16 lanes, widened once, plus -8·Σx per block.
//     Not i32x4.relaxed_dot_i8x16_i7x16_add_s: Node 20's baseline compiler (Liftoff) computes it
//     wrongly (drops the accumulator), so results would change when V8 tiers up.
//   - q4, plain build: nibbles widened to i16 (0..15), i32x4.dot_i16x8_s, plus -8·Σx per block.
// Rows are split across threads by panel: [r0, r1) are rows, r0 a multiple of 4.
// Tokens are walked in blocks of `tokenBlock` (activations of one block stay in cache while every
// panel of the thread's range streams past), 4 tokens at a time through the register kernel.
import { madd, storeRows, PANEL, Q4_PANEL_BLOCK, Q8_PANEL_BLOCK } from './matmul_common';
import { ACT_BLOCK } from './matmul_act';

// Activation block field offsets (see matmul_act.ts).
const A_I16: usize = 0;
const A_I8: usize = 64;
const A_D: usize = 96;
const A_SUM8: usize = 100;

const KIND_Q8: i32 = 0;
const KIND_Q4: i32 = 1;

export function matmul_q8(w: usize, act: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  gemm(KIND_Q8, w, act, y, K, N, T, tokenBlock, r0, r1);
}

export function matmul_q4(w: usize, act: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  gemm(KIND_Q4, w, act, y, K, N, T, tokenBlock, r0, r1);
}

// @ts-ignore: decorator
@inline function gemm(kind: i32, w: usize, act: usize, y: usize, K: i32, N: i32, T: i32, tokenBlock: i32, r0: i32, r1: i32): void {
  const nb = K >> 5;
  const panelBytes = <usize>nb * <usize>(kind == KIND_Q4 ? Q4_PANEL_BLOCK : Q8_PANEL_BLOCK);
  const actStride = <usize>nb * ACT_BLOCK;
  const yStride = <usize>N << 2;
  const p0 = r0 / PANEL;
  const p1 = (r1 + PANEL - 1) / PANEL;
  if (tokenBlock < 4) tokenBlock = 4;
  if (T == 1 && kind == KIND_Q8) {
    // GEMV: two panels per pass, two independent weight streams sharing each activation load
    let p = p0;
    for (; p + 2 <= p1; p += 2) {
      const wp = w + <usize>p * panelBytes;
      gemvQ8Pair(wp, wp + panelBytes, act, nb, y + (<usize>(p * PANEL) << 2), min(PANEL, N - (p + 1) * PANEL));
    }
    if (p < p1) panelQ8x1(w + <usize>p * panelBytes, act, nb, y + (<usize>(p * PANEL) << 2), min(PANEL, N - p * PANEL));
    return;
  }
  for (let tb = 0; tb < T; tb += tokenBlock) {
    const te = min(T, tb + tokenBlock);
    for (let p = p0; p < p1; p++) {
      const wp = w + <usize>p * panelBytes;
      const rows = min(PANEL, N - p * PANEL);
      const yp = y + (<usize>(p * PANEL) << 2);
      let t = tb;
      for (; t + 4 <= te; t += 4) {
        const a = act + <usize>t * actStride;
        const yt = yp + <usize>t * yStride;
        if (kind == KIND_Q4) panelQ4x4(wp, a, actStride, nb, yt, yStride, rows);
        else panelQ8x4(wp, a, actStride, nb, yt, yStride, rows);
      }
      for (; t < te; t++) {
        const a = act + <usize>t * actStride;
        const yt = yp + <usize>t * yStride;
        if (kind == KIND_Q4) panelQ4x1(wp, a, nb, yt, rows);
        else panelQ8x1(wp, a, nb, yt, rows);
      }
    }
  }
}

// ---- block scaling ----

/** f += float(isum) · scales_w · d_x, lanes = the panel's 4 rows. */
// @ts-ignore: decorator
@inline function scaleAdd(isum: v128, wScales: v128, a: usize, f: v128): v128 {
  return madd(f32x4.convert_i32x4_s(isum), f32x4.mul(wScales, v128.load32_splat(a, A_D)), f);
}

/** i16 path: lanes (r0,r0,r1,r1) + (r2,r2,r3,r3) pairs → (r0,r1,r2,r3). */
// @ts-ignore: decorator
@inline function pairSum(lo: v128, hi: v128): v128 {
  return i32x4.add(i32x4.shuffle(lo, hi, 0, 2, 4, 6), i32x4.shuffle(lo, hi, 1, 3, 5, 7));
}

// ---- q8 ----

// Group j's 16 weight bytes are read as two sign-extending 8-byte loads (i16x8.load8x8_s is one
// x86 instruction, where load + extend_low + extend_high costs four): wl = rows 0,1 and wh = rows
// 2,3, 2 lanes per row; times 4 broadcast i16 activations, summed per row by pairSum.

/** lo/hi += widened group j of the block at wp · the 4 activations xs (rows 0,1 → lo, 2,3 → hi). */
// @ts-ignore: decorator
@inline function q8Group(wp: usize, j: usize, xs: v128, acc: v128, hiAcc: bool): v128 {
  const w = hiAcc ? v128.load8x8_s(wp + 16 * j + 8) : v128.load8x8_s(wp + 16 * j);
  return i32x4.add(acc, i32x4.dot_i16x8_s(w, xs));
}

// @ts-ignore: decorator
@inline function panelQ8x1(wp: usize, a: usize, nb: i32, y: usize, rows: i32): void {
  let f = f32x4.splat(0);
  for (let b = 0; b < nb; b++, wp += Q8_PANEL_BLOCK, a += ACT_BLOCK) {
    // unrolled by hand: a loop here would pay its counter and V8's loop stack check per group
    let lo = i32x4.splat(0);
    let hi = i32x4.splat(0);
    let xs: v128;
    xs = v128.load64_splat(a, A_I16 + 0);
    lo = q8Group(wp, 0, xs, lo, false);
    hi = q8Group(wp, 0, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 8);
    lo = q8Group(wp, 1, xs, lo, false);
    hi = q8Group(wp, 1, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 16);
    lo = q8Group(wp, 2, xs, lo, false);
    hi = q8Group(wp, 2, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 24);
    lo = q8Group(wp, 3, xs, lo, false);
    hi = q8Group(wp, 3, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 32);
    lo = q8Group(wp, 4, xs, lo, false);
    hi = q8Group(wp, 4, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 40);
    lo = q8Group(wp, 5, xs, lo, false);
    hi = q8Group(wp, 5, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 48);
    lo = q8Group(wp, 6, xs, lo, false);
    hi = q8Group(wp, 6, xs, hi, true);
    xs = v128.load64_splat(a, A_I16 + 56);
    lo = q8Group(wp, 7, xs, lo, false);
    hi = q8Group(wp, 7, xs, hi, true);
    f = scaleAdd(pairSum(lo, hi), v128.load(wp, 128), a, f);
  }
  storeRows(y, f, rows);
}

/** One token against panels wp0 (4 full rows, output y) and wp1 (rows1 rows, output y + 16). */
// @ts-ignore: decorator
@inline function gemvQ8Pair(wp0: usize, wp1: usize, a: usize, nb: i32, y: usize, rows1: i32): void {
  let f0 = f32x4.splat(0);
  let f1 = f32x4.splat(0);
  for (let b = 0; b < nb; b++, wp0 += Q8_PANEL_BLOCK, wp1 += Q8_PANEL_BLOCK, a += ACT_BLOCK) {
    let l0 = i32x4.splat(0), h0 = i32x4.splat(0);
    let l1 = i32x4.splat(0), h1 = i32x4.splat(0);
    for (let j: usize = 0; j < 8; j++) {
      const xs = v128.load64_splat(a + A_I16 + 8 * j);
      l0 = q8Group(wp0, j, xs, l0, false);
      h0 = q8Group(wp0, j, xs, h0, true);
      l1 = q8Group(wp1, j, xs, l1, false);
      h1 = q8Group(wp1, j, xs, h1, true);
    }
    f0 = scaleAdd(pairSum(l0, h0), v128.load(wp0, 128), a, f0);
    f1 = scaleAdd(pairSum(l1, h1), v128.load(wp1, 128), a, f1);
  }
  v128.store(y, f0);
  storeRows(y + 16, f1, rows1);
}

// @ts-ignore: decorator
@inline function panelQ8x4(wp: usize, a: usize, as: usize, nb: i32, y: usize, ys: usize, rows: i32): void {
  let f0 = f32x4.splat(0);
  let f1 = f32x4.splat(0);
  let f2 = f32x4.splat(0);
  let f3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++, wp += Q8_PANEL_BLOCK, a += ACT_BLOCK) {
    const a1 = a + as;
    const a2 = a1 + as;
    const a3 = a2 + as;
    let l0 = i32x4.splat(0), h0 = i32x4.splat(0);
    let l1 = i32x4.splat(0), h1 = i32x4.splat(0);
    let l2 = i32x4.splat(0), h2 = i32x4.splat(0);
    let l3 = i32x4.splat(0), h3 = i32x4.splat(0);
    for (let j: usize = 0; j < 8; j++) {
      const wl = v128.load8x8_s(wp + 16 * j);
      const wh = v128.load8x8_s(wp + 16 * j + 8);
      let xs = v128.load64_splat(a + A_I16 + 8 * j);
      l0 = i32x4.add(l0, i32x4.dot_i16x8_s(wl, xs));
      h0 = i32x4.add(h0, i32x4.dot_i16x8_s(wh, xs));
      xs = v128.load64_splat(a1 + A_I16 + 8 * j);
      l1 = i32x4.add(l1, i32x4.dot_i16x8_s(wl, xs));
      h1 = i32x4.add(h1, i32x4.dot_i16x8_s(wh, xs));
      xs = v128.load64_splat(a2 + A_I16 + 8 * j);
      l2 = i32x4.add(l2, i32x4.dot_i16x8_s(wl, xs));
      h2 = i32x4.add(h2, i32x4.dot_i16x8_s(wh, xs));
      xs = v128.load64_splat(a3 + A_I16 + 8 * j);
      l3 = i32x4.add(l3, i32x4.dot_i16x8_s(wl, xs));
      h3 = i32x4.add(h3, i32x4.dot_i16x8_s(wh, xs));
    }
    const sw = v128.load(wp, 128);
    f0 = scaleAdd(pairSum(l0, h0), sw, a, f0);
    f1 = scaleAdd(pairSum(l1, h1), sw, a1, f1);
    f2 = scaleAdd(pairSum(l2, h2), sw, a2, f2);
    f3 = scaleAdd(pairSum(l3, h3), sw, a3, f3);
  }
  storeRows(y, f0, rows);
  storeRows(y + ys, f1, rows);
  storeRows(y + 2 * ys, f2, rows);
  storeRows(y + 3 * ys, f3, rows);
}

// ---- q4 ----
// Nibbles: low = element 4j+i, high = element 16+4j+i of row r, in byte 4r+i of group j.

// @ts-ignore: decorator
@inline function lowNibbles(v: v128): v128 {
  return v128.and(v, i8x16.splat(0x0f));
}

// @ts-ignore: decorator
@inline function highNibbles(v: v128): v128 {
  return i8x16.shr_u(v, 4);
}

/**
 * relaxed: acc16 += x[4j..] · low + x[16+4j..] · high in i16 lanes (nibbles as the 0..15 operand).
 * A whole block (16 products of |x| ≤ 127 and ≤ 15 per lane, ≤ 30480) fits i16.
 */
// @ts-ignore: decorator
@inline function q4RelaxedStep(lo: v128, hi: v128, a: usize, j: usize, acc16: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    acc16 = i16x8.add(acc16, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(a + A_I8 + 4 * j), lo));
    return i16x8.add(acc16, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(a + A_I8 + 16 + 4 * j), hi));
  } else {
    return acc16;
  }
}

/** i16 pair sums of a q4 block → i32 per row, plus the -8·Σx nibble offset. */
// @ts-ignore: decorator
@inline function q4Finish(acc16: v128, a: usize): v128 {
  return i32x4.add(i32x4.extadd_pairwise_i16x8_s(acc16), v128.load32_splat(a + A_SUM8));
}

/** i16 path: nibbles (0..15) widened to i16 times 4 broadcast i16 activations; 2 lanes per row. */
// @ts-ignore: decorator
@inline function q4I16Dot(w16: v128, a: usize, xOff: usize, acc: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(w16, v128.load64_splat(a + xOff)));
}

// @ts-ignore: decorator
@inline function panelQ4x1(wp: usize, a: usize, nb: i32, y: usize, rows: i32): void {
  let f = f32x4.splat(0);
  for (let b = 0; b < nb; b++, wp += Q4_PANEL_BLOCK, a += ACT_BLOCK) {
    let isum: v128;
    if (ASC_FEATURE_RELAXED_SIMD) {
      let e = i16x8.splat(0);
      let o = i16x8.splat(0);
      let v = v128.load(wp, 0);
      e = q4RelaxedStep(lowNibbles(v), highNibbles(v), a, 0, e);
      v = v128.load(wp, 16);
      o = q4RelaxedStep(lowNibbles(v), highNibbles(v), a, 1, o);
      v = v128.load(wp, 32);
      e = q4RelaxedStep(lowNibbles(v), highNibbles(v), a, 2, e);
      v = v128.load(wp, 48);
      o = q4RelaxedStep(lowNibbles(v), highNibbles(v), a, 3, o);
      isum = q4Finish(i16x8.add(e, o), a);
    } else {
      let l = i32x4.splat(0);
      let h = i32x4.splat(0);
      for (let j: usize = 0; j < 4; j++) {
        const v = v128.load(wp + 16 * j);
        const lo = lowNibbles(v);
        const hi = highNibbles(v);
        l = q4I16Dot(i16x8.extend_low_i8x16_u(lo), a, A_I16 + 8 * j, l);
        h = q4I16Dot(i16x8.extend_high_i8x16_u(lo), a, A_I16 + 8 * j, h);
        l = q4I16Dot(i16x8.extend_low_i8x16_u(hi), a, A_I16 + 32 + 8 * j, l);
        h = q4I16Dot(i16x8.extend_high_i8x16_u(hi), a, A_I16 + 32 + 8 * j, h);
      }
      isum = i32x4.add(pairSum(l, h), v128.load32_splat(a + A_SUM8));
    }
    f = scaleAdd(isum, v128.load(wp, 64), a, f);
  }
  storeRows(y, f, rows);
}

// @ts-ignore: decorator
@inline function panelQ4x4(wp: usize, a: usize, as: usize, nb: i32, y: usize, ys: usize, rows: i32): void {
  let f0 = f32x4.splat(0);
  let f1 = f32x4.splat(0);
  let f2 = f32x4.splat(0);
  let f3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++, wp += Q4_PANEL_BLOCK, a += ACT_BLOCK) {
    const a1 = a + as;
    const a2 = a1 + as;
    const a3 = a2 + as;
    let s0: v128, s1: v128, s2: v128, s3: v128;
    if (ASC_FEATURE_RELAXED_SIMD) {
      s0 = i16x8.splat(0);
      s1 = i16x8.splat(0);
      s2 = i16x8.splat(0);
      s3 = i16x8.splat(0);
      for (let j: usize = 0; j < 4; j++) {
        const v = v128.load(wp + 16 * j);
        const lo = lowNibbles(v);
        const hi = highNibbles(v);
        s0 = q4RelaxedStep(lo, hi, a, j, s0);
        s1 = q4RelaxedStep(lo, hi, a1, j, s1);
        s2 = q4RelaxedStep(lo, hi, a2, j, s2);
        s3 = q4RelaxedStep(lo, hi, a3, j, s3);
      }
      s0 = q4Finish(s0, a);
      s1 = q4Finish(s1, a1);
      s2 = q4Finish(s2, a2);
      s3 = q4Finish(s3, a3);
    } else {
      let l0 = i32x4.splat(0), h0 = i32x4.splat(0);
      let l1 = i32x4.splat(0), h1 = i32x4.splat(0);
      let l2 = i32x4.splat(0), h2 = i32x4.splat(0);
      let l3 = i32x4.splat(0), h3 = i32x4.splat(0);
      // one nibble half at a time keeps 2 widened weight vectors live (no register spills)
      for (let half: usize = 0; half < 8; half++) {
        const j = half >> 1;
        const v = v128.load(wp + 16 * j);
        const n = half & 1 ? highNibbles(v) : lowNibbles(v);
        const wl = i16x8.extend_low_i8x16_u(n);
        const wh = i16x8.extend_high_i8x16_u(n);
        const xOff = A_I16 + 32 * (half & 1) + 8 * j;
        l0 = q4I16Dot(wl, a, xOff, l0);
        h0 = q4I16Dot(wh, a, xOff, h0);
        l1 = q4I16Dot(wl, a1, xOff, l1);
        h1 = q4I16Dot(wh, a1, xOff, h1);
        l2 = q4I16Dot(wl, a2, xOff, l2);
        h2 = q4I16Dot(wh, a2, xOff, h2);
        l3 = q4I16Dot(wl, a3, xOff, l3);
        h3 = q4I16Dot(wh, a3, xOff, h3);
      }
      s0 = i32x4.add(pairSum(l0, h0), v128.load32_splat(a + A_SUM8));
      s1 = i32x4.add(pairSum(l1, h1), v128.load32_splat(a1 + A_SUM8));
      s2 = i32x4.add(pairSum(l2, h2), v128.load32_splat(a2 + A_SUM8));
      s3 = i32x4.add(pairSum(l3, h3), v128.load32_splat(a3 + A_SUM8));
    }
    const sw = v128.load(wp, 64);
    f0 = scaleAdd(s0, sw, a, f0);
    f1 = scaleAdd(s1, sw, a1, f1);
    f2 = scaleAdd(s2, sw, a2, f2);
    f3 = scaleAdd(s3, sw, a3, f3);
  }
  storeRows(y, f0, rows);
  storeRows(y + ys, f1, rows);
  storeRows(y + 2 * ys, f2, rows);
  storeRows(y + 3 * ys, f3, rows);
}
