// Per-token kernels: RMS norm and rotary position embedding. Rows are tokens: the pool splits [0, T).

/**
 * out[t, :] = x[t, :] · (1 / sqrt(mean(x²) + eps)) · w (w = 0: no weight), for t in [r0, r1).
 * Like ggml's rms_norm: squares in f32 summed in f64, mean and scale in f32, then x·scale and
 * ·w each rounded to f32 (ggml scales, then a separate mul applies the weight). out may equal x.
 */
export function rmsnorm_rows(x: usize, w: usize, out: usize, dim: i32, eps: f32, r0: i32, r1: i32): void {
  const rowBytes = (<usize>dim) << 2;
  for (let t = r0; t < r1; t++) {
    const xr = x + (<usize>t) * rowBytes;
    const or = out + (<usize>t) * rowBytes;
    let acc0 = f64x2.splat(0);
    let acc1 = f64x2.splat(0);
    let i = 0;
    for (; i + 4 <= dim; i += 4) {
      const v = v128.load(xr + ((<usize>i) << 2));
      const sq = f32x4.mul(v, v);
      acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(sq));
      acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(f32x4.shuffle(sq, sq, 2, 3, 0, 1)));
    }
    const accs = f64x2.add(acc0, acc1);
    let sum = f64x2.extract_lane(accs, 0) + f64x2.extract_lane(accs, 1);
    for (; i < dim; i++) {
      const v = load<f32>(xr + ((<usize>i) << 2));
      sum += <f64>(v * v);
    }
    const mean = <f32>(sum / <f64>dim);
    const scale: f32 = <f32>1.0 / Mathf.sqrt(mean + eps);
    const sv = f32x4.splat(scale);
    i = 0;
    if (w != 0) {
      for (; i + 4 <= dim; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(or + o, f32x4.mul(f32x4.mul(v128.load(xr + o), sv), v128.load(w + o)));
      }
      for (; i < dim; i++) {
        const o = (<usize>i) << 2;
        store<f32>(or + o, (load<f32>(xr + o) * scale) * load<f32>(w + o));
      }
    } else {
      for (; i + 4 <= dim; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(or + o, f32x4.mul(v128.load(xr + o), sv));
      }
      for (; i < dim; i++) {
        const o = (<usize>i) << 2;
        store<f32>(or + o, load<f32>(xr + o) * scale);
      }
    }
  }
}

/**
 * Rope angle table for tokens t in [r0, r1) of positions pos [T] i32: table [T, 2, nRot/2] f32
 * holds per token the cos of every pair, then the sin. Angles as ggml_rope_cache_init: theta
 * starts at the position (f32) and is multiplied by thetaScale = powf(base, -2/nRot) once per
 * pair, then angle = freqScale · (theta / ff[i]); cos/sin are evaluated in f64 and rounded to f32.
 * The table depends only on the positions and the frequency parameters, so one serves q and k of
 * every layer of a forward pass (the glue caches it).
 */
export function rope_table_rows(
  pos: usize, nRot: i32, freqBase: f32, freqScale: f32, freqFactors: usize, table: usize, r0: i32, r1: i32,
): void {
  const half = nRot >> 1;
  const thetaScale = <f32>Math.pow(<f64>freqBase, <f64>(<f32>-2.0 / <f32>nRot));
  const rowBytes = (<usize>nRot) << 2;
  for (let t = r0; t < r1; t++) {
    const cosRow = table + (<usize>t) * rowBytes;
    const sinRow = cosRow + ((<usize>half) << 2);
    let theta = <f32>load<i32>(pos + ((<usize>t) << 2));
    for (let i = 0; i < half; i++) {
      const ff: f32 = freqFactors != 0 ? load<f32>(freqFactors + ((<usize>i) << 2)) : 1.0;
      const angle = freqScale * (theta / ff);
      store<f32>(cosRow + ((<usize>i) << 2), <f32>Math.cos(<f64>angle));
      store<f32>(sinRow + ((<usize>i) << 2), <f32>Math.sin(<f64>angle));
      theta *= thetaScale;
    }
  }
}

/**
 * Rotates x [T, nHeads, headDim] in place for tokens t in [r0, r1) with the angles of a
 * rope_table_rows table: (x0, x1) → (x0·c - x1·s, x0·s + x1·c), each product rounded to f32.
 * neox ≠ 0 pairs (i, i + nRot/2), else (2i, 2i+1); dims ≥ nRot pass through. Four pairs per
 * step for NeoX (the halves are contiguous), two for the normal style.
 */
export function rope_apply_rows(x: usize, table: usize, nHeads: i32, headDim: i32, nRot: i32, neox: i32, r0: i32, r1: i32): void {
  const half = nRot >> 1;
  const headBytes = (<usize>headDim) << 2;
  const rowBytes = (<usize>nHeads) * headBytes;
  const halfBytes = (<usize>half) << 2;
  for (let t = r0; t < r1; t++) {
    const cosRow = table + (<usize>t) * ((<usize>nRot) << 2);
    const sinRow = cosRow + halfBytes;
    const xr = x + (<usize>t) * rowBytes;
    for (let h = 0; h < nHeads; h++) {
      const base = xr + (<usize>h) * headBytes;
      let i = 0;
      if (neox) {
        for (; i + 4 <= half; i += 4) {
          const o = (<usize>i) << 2;
          const x0 = v128.load(base + o);
          const x1 = v128.load(base + halfBytes + o);
          const c = v128.load(cosRow + o);
          const s = v128.load(sinRow + o);
          v128.store(base + o, f32x4.sub(f32x4.mul(x0, c), f32x4.mul(x1, s)));
          v128.store(base + halfBytes + o, f32x4.add(f32x4.mul(x0, s), f32x4.mul(x1, c)));
        }
      } else {
        // x = [a0 b0 a1 b1] (two pairs): out = x·[c0 c0 c1 c1] + [b0 a0 b1 a1]·[-s0 s0 -s1 s1]
        // = [a0c0 - b0s0, b0c0 + a0s0, ...], the same roundings as the scalar form.
        const negEven = i32x4(0x80000000, 0, 0x80000000, 0);
        for (; i + 2 <= half; i += 2) {
          const at = base + ((<usize>(2 * i)) << 2);
          const xv = v128.load(at);
          const c2 = v128.load64_splat(cosRow + ((<usize>i) << 2)); // [c0 c1 c0 c1]
          const s2 = v128.load64_splat(sinRow + ((<usize>i) << 2));
          const cc = f32x4.shuffle(c2, c2, 0, 0, 1, 1);
          const ss = v128.xor(f32x4.shuffle(s2, s2, 0, 0, 1, 1), negEven);
          const xs = f32x4.shuffle(xv, xv, 1, 0, 3, 2);
          v128.store(at, f32x4.add(f32x4.mul(xv, cc), f32x4.mul(xs, ss)));
        }
      }
      for (; i < half; i++) {
        const c = load<f32>(cosRow + ((<usize>i) << 2));
        const s = load<f32>(sinRow + ((<usize>i) << 2));
        const o0: usize = neox ? (<usize>i) << 2 : (<usize>(2 * i)) << 2;
        const o1: usize = neox ? (<usize>(i + half)) << 2 : (<usize>(2 * i + 1)) << 2;
        const x0 = load<f32>(base + o0);
        const x1 = load<f32>(base + o1);
        store<f32>(base + o0, x0 * c - x1 * s);
        store<f32>(base + o1, x0 * s + x1 * c);
      }
    }
  }
}
