// Elementwise kernels over f32 arrays. The pool splits [0, n) into ranges [r0, r1) whose starts are
// multiples of the lane count; every kernel also finishes any tail on its own.
import { floatToHalf1, tanhf1, vexp, vfloatToHalf, vroundHalf, vsilu, vtanh } from './ops_math';

// @ts-ignore: decorator
@inline
function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

/** out[i] = silu(gate[i]) · up[i] */
export function swiglu_range(gate: usize, up: usize, out: usize, r0: i32, r1: i32): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) {
    v128.store(at(out, i), f32x4.mul(vsilu(v128.load(at(gate, i))), v128.load(at(up, i))));
  }
  for (; i < r1; i++) {
    const s = f32x4.extract_lane(vsilu(f32x4.splat(load<f32>(at(gate, i)))), 0);
    store<f32>(at(out, i), s * load<f32>(at(up, i)));
  }
}

/**
 * out[i] = gelu(gate[i]) · up[i] with llama.cpp's CPU gelu: `table` holds 65536 f32 values indexed
 * by the f16 bits of x (see src/kernels/gelu-table.ts); x ≤ -10 → 0, x ≥ 10 → x.
 */
export function geglu_range(gate: usize, up: usize, out: usize, table: usize, r0: i32, r1: i32): void {
  for (let i = r0; i < r1; i++) {
    const x = load<f32>(at(gate, i));
    let g: f32;
    if (x <= -10) g = 0;
    else if (x >= 10) g = x;
    else g = load<f32>(table + ((<usize>floatToHalf1(x)) << 2));
    store<f32>(at(out, i), g * load<f32>(at(up, i)));
  }
}

/** out[i] = a[i] + b[i] (out may alias a or b) */
export function add_range(a: usize, b: usize, out: usize, r0: i32, r1: i32): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < r1; i++) store<f32>(at(out, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

/** x[t, :] += bias[:] for rows t in [r0, r1) of x [T, dim] */
export function add_bias_rows(x: usize, bias: usize, dim: i32, r0: i32, r1: i32): void {
  for (let t = r0; t < r1; t++) {
    const row = x + (<usize>t) * (<usize>dim << 2);
    add_range(row, bias, row, 0, dim);
  }
}

/** x[i] *= s */
export function scale_range(x: usize, s: f32, r0: i32, r1: i32): void {
  const sv = f32x4.splat(s);
  let i = r0;
  for (; i + 4 <= r1; i += 4) v128.store(at(x, i), f32x4.mul(v128.load(at(x, i)), sv));
  for (; i < r1; i++) store<f32>(at(x, i), load<f32>(at(x, i)) * s);
}

/** x[i] = cap · tanh(x[i] / cap) */
export function softcap_range(x: usize, cap: f32, r0: i32, r1: i32): void {
  const cv = f32x4.splat(cap);
  let i = r0;
  for (; i + 4 <= r1; i += 4) v128.store(at(x, i), f32x4.mul(cv, vtanh(f32x4.div(v128.load(at(x, i)), cv))));
  for (; i < r1; i++) store<f32>(at(x, i), cap * tanhf1(load<f32>(at(x, i)) / cap));
}

/** dst[i] = f16 bits of src[i] (round to nearest even); src f32 [n], dst u16 [n]. */
export function f32_to_f16_range(src: usize, dst: usize, r0: i32, r1: i32): void {
  let i = r0;
  for (; i + 8 <= r1; i += 8) {
    const lo = vfloatToHalf(v128.load(at(src, i)));
    const hi = vfloatToHalf(v128.load(at(src, i + 4)));
    v128.store(dst + ((<usize>i) << 1), i16x8.narrow_i32x4_u(lo, hi));
  }
  for (; i < r1; i++) store<u16>(dst + ((<usize>i) << 1), floatToHalf1(load<f32>(at(src, i))));
}

/** out[i] = exp(x[i]) with the kernels' SIMD exp; exported so tests can measure its accuracy. */
export function exp_range(x: usize, out: usize, r0: i32, r1: i32): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) v128.store(at(out, i), vexp(v128.load(at(x, i))));
  for (; i < r1; i++) store<f32>(at(out, i), f32x4.extract_lane(vexp(f32x4.splat(load<f32>(at(x, i)))), 0));
}

/** out[i] = tanh(x[i]) with the kernels' SIMD tanh; exported for accuracy tests. */
export function tanh_range(x: usize, out: usize, r0: i32, r1: i32): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) v128.store(at(out, i), vtanh(v128.load(at(x, i))));
  for (; i < r1; i++) store<f32>(at(out, i), tanhf1(load<f32>(at(x, i))));
}

/** out[i] = x[i] rounded to the nearest f16 value, as f32 (the attention accumulator's rounding); for tests. */
export function round_half_range(x: usize, out: usize, r0: i32, r1: i32): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) v128.store(at(out, i), vroundHalf(v128.load(at(x, i))));
  for (; i < r1; i++) store<f32>(at(out, i), f32x4.extract_lane(vroundHalf(f32x4.splat(load<f32>(at(x, i)))), 0));
}
