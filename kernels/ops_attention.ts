// Causal attention of a batch of queries against one layer's KV cache, flash-style: query tiles ×
// key tiles with an online softmax (running max m and sum l per query). The output row itself is
// the accumulator, so no [T, C] score matrix is ever stored.
//
// Two accumulation modes:
//   - f16 accumulator (llama.cpp parity, f16 caches by default): exactly the numerics of ggml's CPU
//     flash attention — q rounded to f16; keys in order; on a new max the accumulator is rescaled
//     by exp(m_old - m_new); then acc += v·exp(s - m); the accumulator is rounded to f16 after every
//     rescale and every multiply-add. The per-key maxima come from a prefix max over the tile, so
//     the exps still run four lanes at a time.
//   - f32 accumulator (f32 caches, or fast math): one rescale per key tile, f32 throughout.
//
// Shapes: q [T, H, D] f32, K/V cache [C, Hkv, D] (f32 or f16 bits), out [T, H, D] f32.
// Work unit u = (query tile, head h = u % H); the pool splits units [0, H · nQT). Heads that share
// a KV head and sit in one thread's range run together, so each key tile is widened once for them.
// Scratch: SCRATCH_FLOATS_PER_UNIT f32 per unit (a key tile of scores and of rescale factors, m and
// l of the tile's queries), so concurrent units never share scratch without knowing their thread;
// an f16 cache also needs one K/V tile buffer per thread (each key tile is widened to f32 once and
// reused by the 16 queries of every head in the run) and, with the f16 accumulator, a [T, H, D] f32 region for q.
import { hmax, hsum, loadHalf4, vexp, vroundHalf, vtanh } from './ops_math';

const QUERY_TILE: i32 = 16;
const KEY_TILE: i32 = 64;
const SCRATCH_FLOATS_PER_UNIT: i32 = 2 * KEY_TILE + 2 * QUERY_TILE;
const NEG_INF: f32 = -Infinity;

/** Queries per work unit. */
export function attention_query_tile(): i32 {
  return QUERY_TILE;
}

/** Cache rows per key tile (an f16 tile buffer holds 2 · KEY_TILE · headDim f32: K then V). */
export function attention_key_tile(): i32 {
  return KEY_TILE;
}

/** Scratch f32 per work unit. */
export function attention_scratch_floats_per_unit(): i32 {
  return SCRATCH_FLOATS_PER_UNIT;
}

/**
 * Units [r0, r1) of causal attention. Token t (position pos0 + t) attends to cache rows
 * [lo, pos0 + t], lo = window > 0 ? max(0, pos0 + t - window + 1) : 0. Scores: s = (q·k)·scale,
 * then s = softcap·tanh(s/softcap) when softcap > 0. headDim must be a multiple of 4.
 * Unit u is head u % nHeads of query tile tileAt(u / nHeads): the heads of one query tile are
 * adjacent, so a range's consecutive heads that share a KV head (GQA) are run together and read
 * each key tile once; query tiles go in zigzag order (first, last, second, ...) so that contiguous
 * ranges get similar causal work.
 * kvF16 ≠ 0: the cache holds f16 bits; each key tile is widened to f32 once per run of heads, into
 * a tile buffer this call claims from `slots` ([nSlots] i32 flags zeroed by the caller, padded to
 * 64 bytes, then nSlots buffers of 2 · KEY_TILE · headDim f32): one per concurrent call (thread).
 * qHalf ≠ 0: f16 accumulator mode, qHalf a [T, H, D] f32 scratch that receives the f16-rounded q.
 */
export function attention_units(
  q: usize, k: usize, v: usize, out: usize, scratch: usize, slots: usize, nSlots: i32, qHalf: usize,
  nTokens: i32, pos0: i32, nHeads: i32, nKvHeads: i32, headDim: i32,
  kvF16: i32, scale: f32, softcap: f32, window: i32, r0: i32, r1: i32,
): void {
  if (r0 >= r1) return;
  let slot = -1;
  let tiles: usize = 0;
  if (kvF16) {
    for (let s = 0; s < nSlots && slot < 0; s++) {
      if (atomic.cmpxchg<i32>(slots + ((<usize>s) << 2), 0, 1) == 0) slot = s;
    }
    if (slot < 0) unreachable(); // more concurrent calls than slots: the caller sized them wrong
    const flagBytes = ((<usize>nSlots << 2) + 63) & ~(<usize>63);
    tiles = slots + flagBytes + (<usize>slot) * ((<usize>(2 * KEY_TILE * headDim)) << 2);
  }
  const nQT = (nTokens + QUERY_TILE - 1) / QUERY_TILE;
  const group = nHeads / nKvHeads;
  let u = r0;
  while (u < r1) {
    const order = u / nHeads;
    const h0 = u % nHeads;
    // Heads [h0, h1): the rest of this KV head's group, as far as the range reaches.
    const h1 = min((h0 / group + 1) * group, h0 + (r1 - u));
    attentionRun(
      q, k, v, out, scratch + (<usize>(u - h0)) * (<usize>SCRATCH_FLOATS_PER_UNIT << 2), tiles, qHalf,
      nTokens, pos0, nHeads, nKvHeads, headDim, scale, softcap, window, tileAt(order, nQT), h0, h1,
    );
    u += h1 - h0;
  }
  if (slot >= 0) atomic.store<i32>(slots + ((<usize>slot) << 2), 0);
}

/** Query tile at zigzag position i of n: 0, n-1, 1, n-2, ... */
// @ts-ignore: decorator
@inline
function tileAt(i: i32, n: i32): i32 {
  return (i & 1) == 0 ? i >> 1 : n - 1 - (i >> 1);
}

/**
 * dst[n, D] f32 = rows of f16 bits from src (row stride srcStride bytes). Eight halves per load:
 * interleaving with zeros puts each half in the top 16 bits of a lane; an arithmetic shift by 3
 * then leaves sign | magnitude << 13 once bits 28-30 are cleared, and · 2^112 rebases the exponent.
 */
// @ts-ignore: decorator
@inline
function widenRows(src: usize, srcStride: usize, n: i32, headDim: i32, dst: usize): void {
  const rowBytes = (<usize>headDim) << 2;
  const zero = i32x4.splat(0);
  const keep = i32x4.splat(0x8fffffff);
  const rebase = f32x4.splat(5.192296858534828e33);
  for (let j = 0; j < n; j++) {
    const s = src + (<usize>j) * srcStride;
    const d = dst + (<usize>j) * rowBytes;
    let i = 0;
    for (; i + 8 <= headDim; i += 8) {
      const h8 = v128.load(s + ((<usize>i) << 1));
      const lo = i8x16.shuffle(zero, h8, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      const hi = i8x16.shuffle(zero, h8, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
      v128.store(d + ((<usize>i) << 2), f32x4.mul(v128.and(i32x4.shr_s(lo, 3), keep), rebase));
      v128.store(d + ((<usize>i) << 2), f32x4.mul(v128.and(i32x4.shr_s(hi, 3), keep), rebase), 16);
    }
    if (i < headDim) v128.store(d + ((<usize>i) << 2), loadHalf4(s + ((<usize>i) << 1)));
  }
}

/**
 * Heads [h0, h1) (one KV head) of query tile qt; tiles ≠ 0 means an f16 cache, widened through
 * that tile buffer once per key tile for all the heads. unitScratch: the scratch of head 0's unit
 * of this query tile (head h's is SCRATCH_FLOATS_PER_UNIT · h floats further).
 */
function attentionRun(
  q: usize, k: usize, v: usize, out: usize, unitScratch: usize, tiles: usize, qHalf: usize,
  nTokens: i32, pos0: i32, nHeads: i32, nKvHeads: i32, headDim: i32,
  scale: f32, softcap: f32, window: i32, qt: i32, h0: i32, h1: i32,
): void {
  const kvh = h0 / (nHeads / nKvHeads);
  const widen = tiles != 0;
  const esz: usize = widen ? 2 : 4;
  const cacheStride = (<usize>nKvHeads) * (<usize>headDim) * esz; // bytes per cache row
  const kHead = k + (<usize>kvh) * (<usize>headDim) * esz;
  const vHead = v + (<usize>kvh) * (<usize>headDim) * esz;
  const headBytes = (<usize>headDim) << 2;
  const tokBytes = (<usize>nHeads) * headBytes; // bytes per token row of q / out
  const kTile = tiles;
  const vTile = tiles + (<usize>KEY_TILE) * headBytes;
  const kvStride = widen ? headBytes : cacheStride; // row stride of the rows the math reads
  const unitBytes = <usize>SCRATCH_FLOATS_PER_UNIT << 2;
  const halfAcc = qHalf != 0;
  const qSrc = halfAcc ? qHalf : q;

  const t0 = qt * QUERY_TILE;
  const t1 = min(nTokens, t0 + QUERY_TILE);
  for (let h = h0; h < h1; h++) {
    const runMax = unitScratch + (<usize>h) * unitBytes + (<usize>(2 * KEY_TILE) << 2);
    const runSum = runMax + (<usize>QUERY_TILE << 2);
    for (let t = t0; t < t1; t++) {
      store<f32>(runMax + ((<usize>(t - t0)) << 2), NEG_INF);
      store<f32>(runSum + ((<usize>(t - t0)) << 2), 0);
      const rowOff = (<usize>t) * tokBytes + (<usize>h) * headBytes;
      memory.fill(out + rowOff, 0, headBytes);
      if (halfAcc) {
        for (let d: usize = 0; d < headBytes; d += 16) v128.store(qHalf + rowOff + d, vroundHalf(v128.load(q + rowOff + d)));
      }
    }
  }

  const firstPos = pos0 + t0;
  const lastPos = pos0 + t1 - 1;
  const jStart = window > 0 ? max(0, firstPos - window + 1) : 0;
  for (let j0 = jStart; j0 <= lastPos; j0 += KEY_TILE) {
    const jEnd = min(j0 + KEY_TILE, lastPos + 1); // exclusive
    // Row j of this tile is read at kRows + (j - j0) · kvStride (the widened copy, or the cache).
    let kRows = kHead + (<usize>j0) * cacheStride;
    let vRows = vHead + (<usize>j0) * cacheStride;
    if (widen) {
      widenRows(kRows, cacheStride, jEnd - j0, headDim, kTile);
      widenRows(vRows, cacheStride, jEnd - j0, headDim, vTile);
      kRows = kTile;
      vRows = vTile;
    }
    for (let t = t0; t < t1; t++) {
      const p = pos0 + t;
      const lo = window > 0 ? max(0, p - window + 1) : 0;
      const a = max(j0, lo);
      const b = min(jEnd - 1, p);
      if (a > b) continue;
      const n = b - a + 1;
      const skip = (<usize>(a - j0)) * kvStride;
      for (let h = h0; h < h1; h++) {
        const scores = unitScratch + (<usize>h) * unitBytes;
        const rescale = scores + (<usize>KEY_TILE << 2);
        const mAt = rescale + (<usize>KEY_TILE << 2) + ((<usize>(t - t0)) << 2);
        const lAt = mAt + (<usize>QUERY_TILE << 2);
        const qRow = qSrc + (<usize>t) * tokBytes + (<usize>h) * headBytes;
        const oRow = out + (<usize>t) * tokBytes + (<usize>h) * headBytes;
        const tileMax = scoreKeys(qRow, kRows + skip, kvStride, n, headDim, scale, softcap, scores);
        const mOld = load<f32>(mAt);
        let l = load<f32>(lAt);
        if (halfAcc) {
          l = perKeySoftmax(scores, rescale, n, mOld, l);
          accumulateValuesHalf(oRow, scores, rescale, n, vRows + skip, kvStride, headDim);
          store<f32>(mAt, max(mOld, tileMax));
        } else {
          const mNew = max(mOld, tileMax);
          if (mNew > mOld && mOld != NEG_INF) {
            const f = f32x4.extract_lane(vexp(f32x4.splat(mOld - mNew)), 0);
            scaleRow(oRow, headDim, f);
            l *= f;
          }
          l += expInPlace(scores, n, mNew);
          store<f32>(mAt, mNew);
          accumulateValues(oRow, scores, n, vRows + skip, kvStride, headDim);
        }
        store<f32>(lAt, l);
      }
    }
  }

  for (let h = h0; h < h1; h++) {
    const runSum = unitScratch + (<usize>h) * unitBytes + (<usize>(2 * KEY_TILE + QUERY_TILE) << 2);
    for (let t = t0; t < t1; t++) {
      const l = load<f32>(runSum + ((<usize>(t - t0)) << 2));
      scaleRow(out + (<usize>t) * tokBytes + (<usize>h) * headBytes, headDim, <f32>1.0 / l);
    }
  }
}

/**
 * scores[j] = capped((q · k_j) · scale) for n consecutive cache rows starting at kp; returns the max.
 * Four keys share each q load; every score is reduced in the same lane order, so a key's score
 * does not depend on where it falls in a tile.
 */
// @ts-ignore: decorator
@inline
function scoreKeys(qRow: usize, kp: usize, kvStride: usize, n: i32, headDim: i32, scale: f32, softcap: f32, scores: usize): f32 {
  const sv = f32x4.splat(scale);
  const capped = softcap > 0;
  const cv = f32x4.splat(capped ? softcap : 1);
  let maxv = f32x4.splat(NEG_INF);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const k0 = kp + (<usize>j) * kvStride;
    const k1 = k0 + kvStride;
    const k2 = k1 + kvStride;
    const k3 = k2 + kvStride;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let d = 0; d < headDim; d += 4) {
      const qv = v128.load(qRow + ((<usize>d) << 2));
      const ko = ((<usize>d) << 2);
      a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(k0 + ko)));
      a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(k1 + ko)));
      a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(k2 + ko)));
      a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(k3 + ko)));
    }
    // Transpose-reduce: lane i = (a_i[0] + a_i[2]) + (a_i[1] + a_i[3]), the same order as hsum.
    const s01 = f32x4.add(f32x4.shuffle(a0, a1, 0, 4, 1, 5), f32x4.shuffle(a0, a1, 2, 6, 3, 7));
    const s23 = f32x4.add(f32x4.shuffle(a2, a3, 0, 4, 1, 5), f32x4.shuffle(a2, a3, 2, 6, 3, 7));
    let s = f32x4.add(f32x4.shuffle(s01, s23, 0, 1, 4, 5), f32x4.shuffle(s01, s23, 2, 3, 6, 7));
    s = f32x4.mul(s, sv);
    if (capped) s = f32x4.mul(cv, vtanh(f32x4.div(s, cv)));
    v128.store(scores + ((<usize>j) << 2), s);
    maxv = f32x4.max(maxv, s);
  }
  let m = hmax(maxv);
  for (; j < n; j++) {
    const kj = kp + (<usize>j) * kvStride;
    let acc = f32x4.splat(0);
    for (let d = 0; d < headDim; d += 4) {
      acc = f32x4.add(acc, f32x4.mul(v128.load(qRow + ((<usize>d) << 2)), v128.load(kj + ((<usize>d) << 2))));
    }
    let s = f32x4.mul(f32x4.splat(hsum(acc)), sv);
    if (capped) s = f32x4.mul(cv, vtanh(f32x4.div(s, cv)));
    const sc = f32x4.extract_lane(s, 0);
    store<f32>(scores + ((<usize>j) << 2), sc);
    m = max(m, sc);
  }
  return m;
}

/** scores[j] = exp(scores[j] - m) for j < n; returns their sum. */
// @ts-ignore: decorator
@inline
function expInPlace(scores: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = scores + ((<usize>j) << 2);
    const e = vexp(f32x4.sub(v128.load(at), mv));
    v128.store(at, e);
    acc = f32x4.add(acc, e);
  }
  let sum = hsum(acc);
  for (; j < n; j++) {
    const at = scores + ((<usize>j) << 2);
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(at) - m)), 0);
    store<f32>(at, e);
    sum += e;
  }
  return sum;
}

/**
 * Online softmax factors of one key tile, key by key as ggml's flash attention: with m_j the
 * running max after key j (m_{-1} = mOld), rescale[j] = exp(m_{j-1} - m_j) (1 unless key j set a
 * new max; 0 after -inf) and scores[j] = exp(s_j - m_j) (1 at a new max). Returns the running sum
 * l = l·rescale[j] + scores[j] after the tile, accumulated key by key in f32.
 */
// @ts-ignore: decorator
@inline
function perKeySoftmax(scores: usize, rescale: usize, n: i32, mOld: f32, l: f32): f32 {
  let m = mOld;
  for (let j = 0; j < n; j++) {
    const at = (<usize>j) << 2;
    const s = load<f32>(scores + at);
    const mPrev = m;
    if (s > m) m = s;
    store<f32>(rescale + at, mPrev - m);
    store<f32>(scores + at, s - m);
  }
  // Pad to whole vectors (the scratch tile has room): the pad lanes are never read back.
  for (let j = n; j & 3; j++) {
    store<f32>(rescale + ((<usize>j) << 2), 0);
    store<f32>(scores + ((<usize>j) << 2), 0);
  }
  for (let j = 0; j < n; j += 4) {
    const at = (<usize>j) << 2;
    v128.store(rescale + at, vexp(v128.load(rescale + at)));
    v128.store(scores + at, vexp(v128.load(scores + at)));
  }
  for (let j = 0; j < n; j++) {
    const at = (<usize>j) << 2;
    l = l * load<f32>(rescale + at) + load<f32>(scores + at);
  }
  return l;
}

/**
 * f16 accumulator: per key j, acc = round16(acc · rescale[j]) when rescale[j] ≠ 1, then
 * acc = round16(acc + v_j · p[j]). Rounding happens in f32 lanes (vroundHalf), 16 dims per pass.
 */
// @ts-ignore: decorator
@inline
function accumulateValuesHalf(oRow: usize, p: usize, rescale: usize, n: i32, vp: usize, kvStride: usize, headDim: i32): void {
  let d = 0;
  for (; d + 16 <= headDim; d += 16) {
    const o = oRow + ((<usize>d) << 2);
    let o0 = v128.load(o);
    let o1 = v128.load(o, 16);
    let o2 = v128.load(o, 32);
    let o3 = v128.load(o, 48);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const ms = load<f32>(rescale + at);
      if (ms != 1) {
        const msv = f32x4.splat(ms);
        o0 = vroundHalf(f32x4.mul(o0, msv));
        o1 = vroundHalf(f32x4.mul(o1, msv));
        o2 = vroundHalf(f32x4.mul(o2, msv));
        o3 = vroundHalf(f32x4.mul(o3, msv));
      }
      const pj = f32x4.splat(load<f32>(p + at));
      o0 = vroundHalf(f32x4.add(o0, f32x4.mul(v128.load(vr), pj)));
      o1 = vroundHalf(f32x4.add(o1, f32x4.mul(v128.load(vr + 16), pj)));
      o2 = vroundHalf(f32x4.add(o2, f32x4.mul(v128.load(vr + 32), pj)));
      o3 = vroundHalf(f32x4.add(o3, f32x4.mul(v128.load(vr + 48), pj)));
      vr += kvStride;
    }
    v128.store(o, o0);
    v128.store(o, o1, 16);
    v128.store(o, o2, 32);
    v128.store(o, o3, 48);
  }
  for (; d < headDim; d += 4) {
    const o = oRow + ((<usize>d) << 2);
    let acc = v128.load(o);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const ms = load<f32>(rescale + at);
      if (ms != 1) acc = vroundHalf(f32x4.mul(acc, f32x4.splat(ms)));
      acc = vroundHalf(f32x4.add(acc, f32x4.mul(v128.load(vr), f32x4.splat(load<f32>(p + at)))));
      vr += kvStride;
    }
    v128.store(o, acc);
  }
}

/** oRow[0, D) += Σ_j p[j] · v_j over n cache rows from vp; 16 output dims stay in registers per pass. */
// @ts-ignore: decorator
@inline
function accumulateValues(oRow: usize, p: usize, n: i32, vp: usize, kvStride: usize, headDim: i32): void {
  let d = 0;
  for (; d + 16 <= headDim; d += 16) {
    const o = oRow + ((<usize>d) << 2);
    let o0 = v128.load(o);
    let o1 = v128.load(o, 16);
    let o2 = v128.load(o, 32);
    let o3 = v128.load(o, 48);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const pj = f32x4.splat(load<f32>(p + ((<usize>j) << 2)));
      o0 = f32x4.add(o0, f32x4.mul(pj, v128.load(vr)));
      o1 = f32x4.add(o1, f32x4.mul(pj, v128.load(vr + 16)));
      o2 = f32x4.add(o2, f32x4.mul(pj, v128.load(vr + 32)));
      o3 = f32x4.add(o3, f32x4.mul(pj, v128.load(vr + 48)));
      vr += kvStride;
    }
    v128.store(o, o0);
    v128.store(o, o1, 16);
    v128.store(o, o2, 32);
    v128.store(o, o3, 48);
  }
  for (; d < headDim; d += 4) {
    const o = oRow + ((<usize>d) << 2);
    let acc = v128.load(o);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(p + ((<usize>j) << 2))), v128.load(vr)));
      vr += kvStride;
    }
    v128.store(o, acc);
  }
}

/** row[0, D) *= f */
// @ts-ignore: decorator
@inline
function scaleRow(row: usize, headDim: i32, f: f32): void {
  const fv = f32x4.splat(f);
  for (let d = 0; d < headDim; d += 4) {
    const o = row + ((<usize>d) << 2);
    v128.store(o, f32x4.mul(v128.load(o), fv));
  }
}
