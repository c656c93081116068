// q8 / q4 matmul: y[T, N] = act[T, K] · Wᵀ over packed 4-row panels (layout: matmul_common.ts),
// activations pre-quantized by quantize_act_q8 (matmul_act.ts).
//
// Per 32-block the integer dot product is exact; it is scaled by d_w · d_x and accumulated in f32.
// Integer paths (both give the exact block sums):
//   - q8: i8 → i16 widening (sign-extending loads), i32x4.dot_i16x8_s, in every build. The relaxed
//     dot products do not pay here (V8 11.3, Zen 4): i32x4.relaxed_dot_i8x16_i7x16_add_s compiles
//     to pmaddubsw + pmaddwd with a rebuilt ones constant + paddd (5 instructions), and Liftoff
//     computes it wrongly (the accumulator is lost; --no-liftoff fixes that), while the sign trick
//     (|x|, w·sign(x)) adds 2 operations per weight vector and token and cannot negate a -128
//     weight, which GGUF Q8_0 data may hold. Measured before: GEMV 17 vs 21.5 GB/s, GEMM 24 vs 60
//     GFLOP/s. The GEMM's inner loop (8 pmaddwd + 8 paddd + 6 loads per 16 weight bytes × 4
//     tokens) runs at ~80 GFLOP/s alone in L1; i8 × i8 needs 2 multiplies per 16 products
//     whichever way it is split, so the rest is memory and per-block overhead.
//   - q4, relaxed build: i16x8.relaxed_dot_i8x16_i7x16_s with the 0..15 nibbles as the 7-bit
//     operand (no sign trick), a whole block in i16 lanes, widened once, plus -8·Σx per block.
//   - q4, plain build: nibbles widened to i16 (0..15), i32x4.dot_i16x8_s, plus -8·Σx per block.
// Every path scales and accumulates the blocks in order, so a token's result does not depend on
// how many tokens share the call (matmul-gemv.test.ts checks it bit for bit).
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
        else gemvQ8(wp, a, nb, yt, rows);
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
// x86 instruction, where load + extend_low + extend_high cost four): rows 0,1 (low half) and rows
// 2,3 (high half), 2 lanes per row; times 4 broadcast i16 activations, summed per row by pairSum.
// Loops step with bumped pointers and constant offsets: V8 folds constant offsets into the loads,
// and a loop keeps only one step's loads live (unrolled by hand, V8 issues every load of the block
// first and spills: measured 30% slower).

/**
 * One token (the GEMV of generation, and a batch's last T mod 4 tokens) against one panel, two
 * blocks per step: the two blocks' integer sums are independent chains, twice the work in flight
 * (measured +15-25% streaming); panels side by side instead would have read two weight streams
 * at once, which ran at a third of the speed.
 */
// @ts-ignore: decorator
@inline function gemvQ8(wp: usize, a: usize, nb: i32, y: usize, rows: i32): void {
  let f0 = f32x4.splat(0);
  let b = 0;
  for (; b + 2 <= nb; b += 2, wp += 2 * Q8_PANEL_BLOCK, a += 2 * ACT_BLOCK) {
    let l0 = i32x4.splat(0), h0 = i32x4.splat(0);
    let l1 = i32x4.splat(0), h1 = i32x4.splat(0);
    let wj = wp;
    let xj = a + A_I16;
    for (let j = 0; j < 8; j++, wj += 16, xj += 8) {
      const xs0 = v128.load64_splat(xj);
      const xs1 = v128.load64_splat(xj, ACT_BLOCK);
      l0 = i32x4.add(l0, i32x4.dot_i16x8_s(v128.load8x8_s(wj), xs0));
      l1 = i32x4.add(l1, i32x4.dot_i16x8_s(v128.load8x8_s(wj, Q8_PANEL_BLOCK), xs1));
      h0 = i32x4.add(h0, i32x4.dot_i16x8_s(v128.load8x8_s(wj, 8), xs0));
      h1 = i32x4.add(h1, i32x4.dot_i16x8_s(v128.load8x8_s(wj, Q8_PANEL_BLOCK + 8), xs1));
    }
    // in block order, so T = 1 rounds exactly like the multi-token kernels
    f0 = scaleAdd(pairSum(l0, h0), v128.load(wp, 128), a, f0);
    f0 = scaleAdd(pairSum(l1, h1), v128.load(wp, Q8_PANEL_BLOCK + 128), a + ACT_BLOCK, f0);
  }
  if (b < nb) {
    let l0 = i32x4.splat(0), h0 = i32x4.splat(0);
    let wj = wp;
    let xj = a + A_I16;
    for (let j = 0; j < 8; j++, wj += 16, xj += 8) {
      const xs0 = v128.load64_splat(xj);
      l0 = i32x4.add(l0, i32x4.dot_i16x8_s(v128.load8x8_s(wj), xs0));
      h0 = i32x4.add(h0, i32x4.dot_i16x8_s(v128.load8x8_s(wj, 8), xs0));
    }
    f0 = scaleAdd(pairSum(l0, h0), v128.load(wp, 128), a, f0);
  }
  storeRows(y, f0, rows);
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
    // group 0 starts the sums (no add to zero: 8 fewer ALU operations of 168 per block)
    const wl0 = v128.load8x8_s(wp);
    const wh0 = v128.load8x8_s(wp + 8);
    let xs0 = v128.load64_splat(a + A_I16);
    let l0 = i32x4.dot_i16x8_s(wl0, xs0), h0 = i32x4.dot_i16x8_s(wh0, xs0);
    xs0 = v128.load64_splat(a1 + A_I16);
    let l1 = i32x4.dot_i16x8_s(wl0, xs0), h1 = i32x4.dot_i16x8_s(wh0, xs0);
    xs0 = v128.load64_splat(a2 + A_I16);
    let l2 = i32x4.dot_i16x8_s(wl0, xs0), h2 = i32x4.dot_i16x8_s(wh0, xs0);
    xs0 = v128.load64_splat(a3 + A_I16);
    let l3 = i32x4.dot_i16x8_s(wl0, xs0), h3 = i32x4.dot_i16x8_s(wh0, xs0);
    for (let j: usize = 1; j < 8; j++) {
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
  // a 16-bit shift and the low-nibble mask: x86 has no byte shift, and V8 would rebuild a second
  // mask constant for i8x16.shr_u on every use
  return v128.and(i16x8.shr_u(v, 4), i8x16.splat(0x0f));
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

/** One q4 block against one token: the exact integer sums of the panel's 4 rows (incl. the -8 offset). */
// @ts-ignore: decorator
@inline function q4BlockSum(wp: usize, a: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // a loop, so only one group's loads are live at a time (V8 schedules loads early and arithmetic
    // late: unrolled, the block's 12 loads were all live at once and spilled the accumulator)
    let acc = i16x8.splat(0);
    let wj = wp;
    let xj = a + A_I8;
    for (let j = 0; j < 4; j++, wj += 16, xj += 4) {
      const v = v128.load(wj);
      acc = i16x8.add(acc, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xj), lowNibbles(v)));
      acc = i16x8.add(acc, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xj, 16), highNibbles(v)));
    }
    return q4Finish(acc, a);
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
    return i32x4.add(pairSum(l, h), v128.load32_splat(a + A_SUM8));
  }
}

/**
 * One token against one panel, in block order. Relaxed: two blocks per step as in gemvQ8 (+8-10%),
 * one group of each per loop step (two groups per step measured 10% slower).
 */
// @ts-ignore: decorator
@inline function panelQ4x1(wp: usize, a: usize, nb: i32, y: usize, rows: i32): void {
  let f = f32x4.splat(0);
  let b = 0;
  if (ASC_FEATURE_RELAXED_SIMD) {
    for (; b + 2 <= nb; b += 2, wp += 2 * Q4_PANEL_BLOCK, a += 2 * ACT_BLOCK) {
      // one loop step = group j of both blocks: two independent chains
      let acc0 = i16x8.splat(0);
      let acc1 = i16x8.splat(0);
      let wj = wp;
      let xj = a + A_I8;
      for (let j = 0; j < 4; j++, wj += 16, xj += 4) {
        const v0 = v128.load(wj);
        const v1 = v128.load(wj, Q4_PANEL_BLOCK);
        acc0 = i16x8.add(acc0, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xj), lowNibbles(v0)));
        acc1 = i16x8.add(acc1, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xj, ACT_BLOCK), lowNibbles(v1)));
        acc0 = i16x8.add(acc0, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xj, 16), highNibbles(v0)));
        acc1 = i16x8.add(acc1, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xj, ACT_BLOCK + 16), highNibbles(v1)));
      }
      f = scaleAdd(q4Finish(acc0, a), v128.load(wp, 64), a, f);
      f = scaleAdd(q4Finish(acc1, a + ACT_BLOCK), v128.load(wp, Q4_PANEL_BLOCK + 64), a + ACT_BLOCK, f);
    }
  }
  for (; b < nb; b++, wp += Q4_PANEL_BLOCK, a += ACT_BLOCK) {
    f = scaleAdd(q4BlockSum(wp, a), v128.load(wp, 64), a, f);
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
