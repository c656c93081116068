// Causal attention of a batch of queries against one layer's KV cache, flash-style: query tiles ×
// key tiles with an online softmax (running max m and sum l per query). The output row itself is
// the accumulator, so no [T, C] score matrix is ever stored.
//
// Two accumulation modes:
//   - f16 accumulator (llama.cpp parity, f16 caches by default): exactly the numerics of ggml's CPU
//     flash attention — q rounded to f16; keys in order; on a new max the accumulator is rescaled
//     by exp(m_old - m_new); then acc += v·exp(s - m); the accumulator is rounded to f16 after every
//     rescale and every multiply-add. The per-key maxima come from a prefix max over four keys at
//     a time, so the exps still run four lanes at a time.
//   - f32 accumulator (f32 caches, batches of ≥ 64 tokens — llama.cpp's tiled path — or fast
//     math): one rescale per 64-key tile, f32 throughout.
//
// Shapes: q [T, H, D] f32, K/V cache [C, Hkv, D] (f32 or f16 bits), out [T, H, D] f32.
// Work unit u = (query tile, head h = u % H); the pool splits units [0, H · nQT). Heads that share
// a KV head and fall in one thread's range run together, so each key tile is widened once for all.
// Scratch: SCRATCH_FLOATS_PER_UNIT f32 per unit (a key tile of scores and of rescale factors, m and
// l of the tile's queries), so concurrent units never share scratch without knowing their thread;
// an f16 cache also needs one K/V tile buffer per thread (each key tile is widened to f32 once and
// reused by the tile's queries of every head in the run) and, with the f16 accumulator, a
// [T, H, D] f32 region for q.
//
// Widened K tiles are stored in blocks of 8 keys, [KEY_TILE/8][D/4][8][4] (four dims of eight keys
// side by side), so scoring eight keys reads 128 consecutive bytes per step of four dims at fixed
// offsets; widened V tiles stay row-major [KEY_TILE, D].
import { hmax, hsum, loadHalf4, vexp, vroundHalf, vtanh } from './ops_math';
import { madd } from './matmul_common';
import { f32_to_f16_range } from './ops_elementwise';

const QUERY_TILE: i32 = 16;
const KEY_TILE: i32 = 64;
const KEY_BLOCK: i32 = 8;
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
 * adjacent, so a range's consecutive heads that share a KV head (GQA) run together and read each
 * key tile once; query tiles go in zigzag order (first, last, second, ...) so that contiguous
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

// Segment table of a batched call (several sequences, each with its own cache): SEGMENT_INTS i32
// per segment — first row in the batch, tokens, pos0, K cache, V cache, first work unit, f16
// accumulator flag (llama.cpp's per-key path), unused. Written by src/kernels/wasm/ops.ts.
const SEGMENT_INTS: usize = 8;

/**
 * Units [r0, r1) of several sequences' attention: segment s owns units [unitStart_s, unitStart_s +
 * nHeads · ceil(n_s / QUERY_TILE)) and runs them exactly as attention_units would alone (its scratch
 * is its units' scratch, its q / out rows start at its first row).
 */
export function attention_segments(
  table: usize, nSegments: i32, q: usize, out: usize, scratch: usize, slots: usize, nSlots: i32, qHalf: usize,
  nHeads: i32, nKvHeads: i32, headDim: i32, kvF16: i32, scale: f32, softcap: f32, window: i32, r0: i32, r1: i32,
): void {
  const rowBytes = (<usize>nHeads) * (<usize>headDim) << 2;
  const unitBytes = <usize>SCRATCH_FLOATS_PER_UNIT << 2;
  for (let s = 0; s < nSegments; s++) {
    const e = table + (<usize>s) * (SEGMENT_INTS << 2);
    const row = load<i32>(e);
    const n = load<i32>(e, 4);
    const u0 = load<i32>(e, 20);
    const u1 = u0 + nHeads * ((n + QUERY_TILE - 1) / QUERY_TILE);
    const lo = max(r0, u0);
    const hi = min(r1, u1);
    if (lo >= hi) continue;
    const rowOff = (<usize>row) * rowBytes;
    attention_units(
      q + rowOff, <usize>load<u32>(e, 12), <usize>load<u32>(e, 16), out + rowOff, scratch + (<usize>u0) * unitBytes, slots, nSlots,
      load<i32>(e, 24) ? qHalf + rowOff : 0, n, load<i32>(e, 8), nHeads, nKvHeads, headDim, kvF16, scale, softcap, window,
      lo - u0, hi - u0,
    );
  }
}

/** Each segment's new K / V rows (f32 [T, rowDim] at k, v) into its f16 caches at rows [pos0, pos0 + n). */
export function kv_store_segments(table: usize, nSegments: i32, k: usize, v: usize, rowDim: i32): void {
  for (let s = 0; s < nSegments; s++) {
    const e = table + (<usize>s) * (SEGMENT_INTS << 2);
    const src = (<usize>load<i32>(e)) * (<usize>rowDim) << 2;
    const dst = (<usize>load<i32>(e, 8)) * (<usize>rowDim) << 1;
    const count = load<i32>(e, 4) * rowDim;
    f32_to_f16_range(k + src, (<usize>load<u32>(e, 12)) + dst, 0, count);
    f32_to_f16_range(v + src, (<usize>load<u32>(e, 16)) + dst, 0, count);
  }
}

/** Query tile at zigzag position i of n: 0, n-1, 1, n-2, ... */
// @ts-ignore: decorator
@inline
function tileAt(i: i32, n: i32): i32 {
  return (i & 1) == 0 ? i >> 1 : n - 1 - (i >> 1);
}

/**
 * Eight f16 values (v128 of u16) → two f32x4, exactly. Interleaving with zeros puts each half in
 * the top 16 bits of a lane; an arithmetic shift by 3 then leaves sign | magnitude << 13 once bits
 * 28-30 are cleared, and · 2^112 rebases the exponent (f16 subnormals come out exact, as in
 * vhalfToFloat). lo gets halves 0-3, hi halves 4-7.
 */
// @ts-ignore: decorator
@inline
function halfLow4(h8: v128): v128 {
  const x = i8x16.shuffle(i32x4.splat(0), h8, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  return f32x4.mul(v128.and(i32x4.shr_s(x, 3), i32x4.splat(0x8fffffff)), f32x4.splat(5.192296858534828e33));
}

// @ts-ignore: decorator
@inline
function halfHigh4(h8: v128): v128 {
  const x = i8x16.shuffle(i32x4.splat(0), h8, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
  return f32x4.mul(v128.and(i32x4.shr_s(x, 3), i32x4.splat(0x8fffffff)), f32x4.splat(5.192296858534828e33));
}

/**
 * dst[n, D] f32 (row-major) = n rows of f16 bits from src (row stride srcStride bytes). Pointers
 * step by row, without per-row multiplies (with D = 8 a row is one load: a decode call got 3–7%
 * faster).
 */
// @ts-ignore: decorator
@inline
function widenRows(src: usize, srcStride: usize, n: i32, headDim: i32, dst: usize): void {
  const rowBytes = (<usize>headDim) << 2;
  const d8 = headDim & ~7;
  let s = src;
  let d = dst;
  for (let j = 0; j < n; j++, s += srcStride, d += rowBytes) {
    for (let i = 0; i < d8; i += 8) {
      const h8 = v128.load(s + ((<usize>i) << 1));
      const at = d + ((<usize>i) << 2);
      v128.store(at, halfLow4(h8));
      v128.store(at, halfHigh4(h8), 16);
    }
    if (d8 < headDim) v128.store(d + ((<usize>d8) << 2), loadHalf4(s + ((<usize>d8) << 1)));
  }
}

/**
 * dst = n rows of f16 bits from src widened into the blocked K layout [blocks][D/4][8][4]; the
 * rows of the last block past n are zeroed (scoring reads whole blocks). Walks block by block with
 * stepped pointers, as widenRows.
 */
// @ts-ignore: decorator
@inline
function widenKeysBlocked(src: usize, srcStride: usize, n: i32, headDim: i32, dst: usize): void {
  const blockBytes = (<usize>headDim) << 5; // 8 keys · D · 4 bytes
  const d8 = headDim & ~7;
  let s = src;
  let block = dst;
  for (let j0 = 0; j0 < n; j0 += KEY_BLOCK, block += blockBytes) {
    const m = min(KEY_BLOCK, n - j0);
    let d = block; // key j0 + jj at block + 16 · jj, dims i..i+3 a further 32 · i bytes on
    for (let jj = 0; jj < m; jj++, s += srcStride, d += 16) {
      for (let i = 0; i < d8; i += 8) {
        const h8 = v128.load(s + ((<usize>i) << 1));
        const at = d + ((<usize>i) << 5);
        v128.store(at, halfLow4(h8));
        v128.store(at, halfHigh4(h8), 128);
      }
      if (d8 < headDim) v128.store(d + ((<usize>d8) << 5), loadHalf4(s + ((<usize>d8) << 1)));
    }
    const zero = f32x4.splat(0);
    for (let jj = m; jj < KEY_BLOCK; jj++, d += 16) {
      for (let i = 0; i < headDim; i += 4) v128.store(d + ((<usize>i) << 5), zero);
    }
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
  const vStride = widen ? headBytes : cacheStride; // row stride of the V rows the math reads
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

  // f32 accumulator over widened tiles without a window: queries go two at a time (attendPair)
  const pairs = widen && !halfAcc && window == 0;
  // f16 accumulator, small heads: two heads' accumulators go through the keys together
  // (accumulateValuesHalfPair); from 32 dims one head alone has eight chains
  const pairHeads = halfAcc && (headDim & 7) == 0 && headDim < 32;
  const firstPos = pos0 + t0;
  const lastPos = pos0 + t1 - 1;
  // Key tiles start at multiples of KEY_TILE (llama.cpp's tiled path aligns its 64-key tiles so,
  // and the f32 accumulator rescales once per tile); keys below a query's window are skipped.
  let jStart = window > 0 ? max(0, firstPos - window + 1) : 0;
  jStart -= jStart % KEY_TILE;
  for (let j0 = jStart; j0 <= lastPos; j0 += KEY_TILE) {
    const jEnd = min(j0 + KEY_TILE, lastPos + 1); // exclusive
    let vRows = vHead + (<usize>j0) * cacheStride; // row j of the tile at vRows + (j - j0) · vStride
    if (widen) {
      widenKeysBlocked(kHead + (<usize>j0) * cacheStride, cacheStride, jEnd - j0, headDim, kTile);
      widenRows(vRows, cacheStride, jEnd - j0, headDim, vTile);
      vRows = vTile;
    }
    for (let t = t0; t < t1; t++) {
      const p = pos0 + t;
      const lo = window > 0 ? max(0, p - window + 1) : 0;
      const a = max(j0, lo);
      const b = min(jEnd - 1, p);
      if (a > b) continue;
      const n = b - a + 1;
      if (pairs && t + 1 < t1) {
        // queries t and t + 1 together; both start at key j0 (no window), t + 1 may see one key more
        const n1 = min(jEnd - 1, p + 1) - a + 1;
        for (let h = h0; h < h1; h++) {
          const scoreBuf = unitScratch + (<usize>h) * unitBytes;
          const mAt = scoreBuf + (<usize>(2 * KEY_TILE) << 2) + ((<usize>(t - t0)) << 2);
          const rowA = (<usize>t) * tokBytes + (<usize>h) * headBytes;
          attendPair(
            q + rowA, q + rowA + tokBytes, out + rowA, out + rowA + tokBytes, kTile, vTile, headBytes,
            scoreBuf, scoreBuf + (<usize>KEY_TILE << 2), mAt, mAt + (<usize>QUERY_TILE << 2), n, n1, headDim, scale, softcap,
          );
        }
        t++;
        continue;
      }
      // Blocked scoring covers whole 8-key blocks from the one holding key a: the scores of keys
      // a..b start `lead` floats into the scores buffer.
      const lead = widen ? (a - j0) & (KEY_BLOCK - 1) : 0;
      for (let h = h0; h < h1; h++) {
        const scoreBuf = unitScratch + (<usize>h) * unitBytes;
        const scores = scoreBuf + ((<usize>lead) << 2);
        const rescale = scoreBuf + (<usize>KEY_TILE << 2) + ((<usize>lead) << 2);
        const mAt = scoreBuf + (<usize>(2 * KEY_TILE) << 2) + ((<usize>(t - t0)) << 2);
        const lAt = mAt + (<usize>QUERY_TILE << 2);
        const qRow = qSrc + (<usize>t) * tokBytes + (<usize>h) * headBytes;
        const oRow = out + (<usize>t) * tokBytes + (<usize>h) * headBytes;
        // Heads pair up as (h0, h0 + 1), (h0 + 2, h0 + 3), ...: a pair shares this KV head's keys and
        // V rows, and the paths below that handle two heads at once do so at the pair's second head
        // (its own scratch holds its scores; the first head's are unitBytes before).
        const second = ((h - h0) & 1) == 1;
        const pairedWithNext = !second && h + 1 < h1;
        if (widen) {
          const blockFrom = (a - j0) >> 3;
          const blockTo = (b - j0) >> 3; // inclusive
          scoreKeysBlocked(qRow, kTile, blockFrom, blockTo - blockFrom + 1, headDim, scale, softcap, scoreBuf);
        } else if (!second) {
          // f32 cache: a pair scores the same keys together (scorePairKeys) at its first head, the
          // second head's scores going to its own scratch; an odd last head alone
          const kFirst = kHead + (<usize>a) * cacheStride;
          if (pairedWithNext) scorePairKeys(qRow, qRow + headBytes, kFirst, cacheStride, n, headDim, scale, softcap, scores, scores + unitBytes);
          else scoreKeys(qRow, kFirst, cacheStride, n, headDim, scale, softcap, scores);
        }
        const vFirst = vRows + (<usize>(a - j0)) * vStride;
        if (halfAcc) {
          onlineSoftmaxHalf(scores, rescale, n, mAt, lAt);
          if (pairHeads && pairedWithNext) continue; // accumulated together with head h + 1
          if (pairHeads && second) {
            // the pair's chains run interleaved
            accumulateValuesHalfPair(
              oRow - headBytes, oRow, scores - unitBytes, scores, rescale - unitBytes, rescale, n, vFirst, vStride, headDim,
            );
          } else {
            accumulateValuesHalf(oRow, scores, rescale, n, vFirst, vStride, headDim);
          }
        } else {
          softmaxStep(scores, n, mAt, lAt, oRow, headDim);
          // a pair accumulates together (accumulatePair: each V load feeds both, eight chains
          // instead of four), each head's arithmetic unchanged
          if (pairedWithNext) continue;
          if (second) accumulatePair(oRow - headBytes, oRow, scores - unitBytes, scores, n, vFirst, vStride, headDim);
          else accumulateValues(oRow, scores, n, vFirst, vStride, headDim);
        }
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
 * Two queries (A, B) against one widened key tile, f32 accumulator: A sees keys [0, nA), B keys
 * [0, nB) of the tile, nB ≥ nA. Each key tile and each V row is read once for both queries, which
 * halves the cache traffic per multiply-add; every score, exp and accumulator step is the one the
 * single-query path computes (B's extra key adds p = 0 to A: exact), so results do not depend on
 * the pairing. sA / sB: score rows of KEY_TILE floats; mA, lA (mB, lB = +4 bytes): running max
 * and sum.
 */
// @ts-ignore: decorator
@inline
function attendPair(
  qA: usize, qB: usize, oA: usize, oB: usize, kTile: usize, vTile: usize, vStride: usize,
  sA: usize, sB: usize, mA: usize, lA: usize, nA: i32, nB: i32, headDim: i32, scale: f32, softcap: f32,
): void {
  scorePairBlocked(qA, qB, kTile, (nB + KEY_BLOCK - 1) >> 3, headDim, scale, softcap, sA, sB);
  softmaxStep(sA, nA, mA, lA, oA, headDim);
  softmaxStep(sB, nB, mA + 4, lA + 4, oB, headDim);
  for (let j = nA; j < nB; j++) store<f32>(sA + ((<usize>j) << 2), 0);
  accumulatePair(oA, oB, sA, sB, nB, vTile, vStride, headDim);
}

/** f32 online-softmax step over one tile's n scores: rescale the row and sum once, scores → exp(s - m). */
// @ts-ignore: decorator
@inline
function softmaxStep(scores: usize, n: i32, mAt: usize, lAt: usize, oRow: usize, headDim: i32): void {
  const mOld = load<f32>(mAt);
  let l = load<f32>(lAt);
  const mNew = max(mOld, maxOf(scores, n));
  if (mNew > mOld && mOld != NEG_INF) {
    const f = f32x4.extract_lane(vexp(f32x4.splat(mOld - mNew)), 0);
    scaleRow(oRow, headDim, f);
    l *= f;
  }
  l += expInPlace(scores, n, mNew);
  store<f32>(mAt, mNew);
  store<f32>(lAt, l);
}

/** scoreKeysBlocked for two queries: 2 queries × 4 keys per pass, the same per-key lane order. */
// @ts-ignore: decorator
@inline
function scorePairBlocked(qA: usize, qB: usize, kTile: usize, nBlocks: i32, headDim: i32, scale: f32, softcap: f32, sA: usize, sB: usize): void {
  const blockBytes = (<usize>headDim) << 5;
  for (let half = 0; half < 2 * nBlocks; half++) {
    let kp = kTile + (<usize>(half >> 1)) * blockBytes + ((<usize>(half & 1)) << 6);
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0);
    let b1 = f32x4.splat(0);
    let b2 = f32x4.splat(0);
    let b3 = f32x4.splat(0);
    for (let d = 0; d < headDim; d += 4) {
      const xa = v128.load(qA + ((<usize>d) << 2));
      const xb = v128.load(qB + ((<usize>d) << 2));
      const k0 = v128.load(kp);
      const k1 = v128.load(kp, 16);
      const k2 = v128.load(kp, 32);
      const k3 = v128.load(kp, 48);
      a0 = madd(xa, k0, a0);
      b0 = madd(xb, k0, b0);
      a1 = madd(xa, k1, a1);
      b1 = madd(xb, k1, b1);
      a2 = madd(xa, k2, a2);
      b2 = madd(xb, k2, b2);
      a3 = madd(xa, k3, a3);
      b3 = madd(xb, k3, b3);
      kp += 128;
    }
    const at = (<usize>half) << 4;
    v128.store(sA + at, finishScores(reduce4(a0, a1, a2, a3), scale, softcap));
    v128.store(sB + at, finishScores(reduce4(b0, b1, b2, b3), scale, softcap));
  }
}

/** accumulateValues for two queries over the same n V rows (pA / pB: their weights). */
// @ts-ignore: decorator
@inline
function accumulatePair(oA: usize, oB: usize, pA: usize, pB: usize, n: i32, vp: usize, kvStride: usize, headDim: i32): void {
  let d = 0;
  for (; d + 16 <= headDim; d += 16) {
    const offA = oA + ((<usize>d) << 2);
    const offB = oB + ((<usize>d) << 2);
    let a0 = v128.load(offA);
    let a1 = v128.load(offA, 16);
    let a2 = v128.load(offA, 32);
    let a3 = v128.load(offA, 48);
    let b0 = v128.load(offB);
    let b1 = v128.load(offB, 16);
    let b2 = v128.load(offB, 32);
    let b3 = v128.load(offB, 48);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const pa = f32x4.splat(load<f32>(pA + at));
      const pb = f32x4.splat(load<f32>(pB + at));
      const v0 = v128.load(vr);
      const v1 = v128.load(vr, 16);
      const v2 = v128.load(vr, 32);
      const v3 = v128.load(vr, 48);
      a0 = madd(pa, v0, a0);
      b0 = madd(pb, v0, b0);
      a1 = madd(pa, v1, a1);
      b1 = madd(pb, v1, b1);
      a2 = madd(pa, v2, a2);
      b2 = madd(pb, v2, b2);
      a3 = madd(pa, v3, a3);
      b3 = madd(pb, v3, b3);
      vr += kvStride;
    }
    v128.store(offA, a0);
    v128.store(offA, a1, 16);
    v128.store(offA, a2, 32);
    v128.store(offA, a3, 48);
    v128.store(offB, b0);
    v128.store(offB, b1, 16);
    v128.store(offB, b2, 32);
    v128.store(offB, b3, 48);
  }
  for (; d < headDim; d += 4) {
    const offA = oA + ((<usize>d) << 2);
    const offB = oB + ((<usize>d) << 2);
    let a = v128.load(offA);
    let b = v128.load(offB);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const v = v128.load(vr);
      a = madd(f32x4.splat(load<f32>(pA + at)), v, a);
      b = madd(f32x4.splat(load<f32>(pB + at)), v, b);
      vr += kvStride;
    }
    v128.store(offA, a);
    v128.store(offB, b);
  }
}

/** s = capped(s · scale) on four scores. */
// @ts-ignore: decorator
@inline
function finishScores(s: v128, scale: f32, softcap: f32): v128 {
  let r = f32x4.mul(s, f32x4.splat(scale));
  if (softcap > 0) {
    const cv = f32x4.splat(softcap);
    r = f32x4.mul(cv, vtanh(f32x4.div(r, cv)));
  }
  return r;
}

/**
 * scores[8·i + j] = capped((q · k) · scale) for key j of blocks [blockFrom, blockFrom + nBlocks) of
 * a blocked K tile. Eight keys share each q load and keep eight sums in flight; each score is
 * reduced in the same lane order as scoreKeys (so a key's score does not depend on the path).
 */
// @ts-ignore: decorator
@inline
function scoreKeysBlocked(qRow: usize, kTile: usize, blockFrom: i32, nBlocks: i32, headDim: i32, scale: f32, softcap: f32, scores: usize): void {
  const blockBytes = (<usize>headDim) << 5;
  for (let bi = 0; bi < nBlocks; bi++) {
    let kp = kTile + (<usize>(blockFrom + bi)) * blockBytes;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let a4 = f32x4.splat(0);
    let a5 = f32x4.splat(0);
    let a6 = f32x4.splat(0);
    let a7 = f32x4.splat(0);
    for (let d = 0; d < headDim; d += 4) {
      const qv = v128.load(qRow + ((<usize>d) << 2));
      a0 = madd(qv, v128.load(kp), a0);
      a1 = madd(qv, v128.load(kp, 16), a1);
      a2 = madd(qv, v128.load(kp, 32), a2);
      a3 = madd(qv, v128.load(kp, 48), a3);
      a4 = madd(qv, v128.load(kp, 64), a4);
      a5 = madd(qv, v128.load(kp, 80), a5);
      a6 = madd(qv, v128.load(kp, 96), a6);
      a7 = madd(qv, v128.load(kp, 112), a7);
      kp += 128;
    }
    const out = scores + ((<usize>bi) << 5);
    v128.store(out, finishScores(reduce4(a0, a1, a2, a3), scale, softcap));
    v128.store(out, finishScores(reduce4(a4, a5, a6, a7), scale, softcap), 16);
  }
}

/**
 * scores[j] = capped((q · k_j) · scale) for n consecutive cache rows starting at kp (row stride
 * kvStride bytes). Four keys share each q load; every score is reduced in the same lane order.
 */
// @ts-ignore: decorator
@inline
function scoreKeys(qRow: usize, kp: usize, kvStride: usize, n: i32, headDim: i32, scale: f32, softcap: f32, scores: usize): void {
  scoreKeysOneOrTwo(false, qRow, 0, kp, kvStride, n, headDim, scale, softcap, scores, 0);
}

/**
 * scoreKeys for two queries (heads A and B of one KV head) over the same n cache rows, each key's
 * row loaded once for both: bit-identical to scoring each alone.
 */
// @ts-ignore: decorator
@inline
function scorePairKeys(
  qA: usize, qB: usize, kp: usize, kvStride: usize, n: i32, headDim: i32, scale: f32, softcap: f32, scoresA: usize, scoresB: usize,
): void {
  scoreKeysOneOrTwo(true, qA, qB, kp, kvStride, n, headDim, scale, softcap, scoresA, scoresB);
}

/**
 * The body of scoreKeys (two = false) and scorePairKeys (two = true; a constant at each inlined
 * call site, so the other query's code drops out): 4 keys per pass, and a second query reuses each
 * key load. Every score takes the same multiplies, adds and lane order either way.
 */
// @ts-ignore: decorator
@inline
function scoreKeysOneOrTwo(
  two: bool, qA: usize, qB: usize, kp: usize, kvStride: usize, n: i32, headDim: i32, scale: f32, softcap: f32, scoresA: usize, scoresB: usize,
): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const k0 = kp + (<usize>j) * kvStride;
    const k1 = k0 + kvStride;
    const k2 = k1 + kvStride;
    const k3 = k2 + kvStride;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let d = 0; d < headDim; d += 4) {
      const ko = ((<usize>d) << 2);
      const xa = v128.load(qA + ko);
      let kv = v128.load(k0 + ko);
      a0 = f32x4.add(a0, f32x4.mul(xa, kv));
      if (two) b0 = f32x4.add(b0, f32x4.mul(v128.load(qB + ko), kv));
      kv = v128.load(k1 + ko);
      a1 = f32x4.add(a1, f32x4.mul(xa, kv));
      if (two) b1 = f32x4.add(b1, f32x4.mul(v128.load(qB + ko), kv));
      kv = v128.load(k2 + ko);
      a2 = f32x4.add(a2, f32x4.mul(xa, kv));
      if (two) b2 = f32x4.add(b2, f32x4.mul(v128.load(qB + ko), kv));
      kv = v128.load(k3 + ko);
      a3 = f32x4.add(a3, f32x4.mul(xa, kv));
      if (two) b3 = f32x4.add(b3, f32x4.mul(v128.load(qB + ko), kv));
    }
    const at = (<usize>j) << 2;
    v128.store(scoresA + at, finishScores(reduce4(a0, a1, a2, a3), scale, softcap));
    if (two) v128.store(scoresB + at, finishScores(reduce4(b0, b1, b2, b3), scale, softcap));
  }
  for (; j < n; j++) {
    const kj = kp + (<usize>j) * kvStride;
    let acc = f32x4.splat(0);
    let accB = f32x4.splat(0);
    for (let d = 0; d < headDim; d += 4) {
      const ko = (<usize>d) << 2;
      const kv = v128.load(kj + ko);
      acc = f32x4.add(acc, f32x4.mul(v128.load(qA + ko), kv));
      if (two) accB = f32x4.add(accB, f32x4.mul(v128.load(qB + ko), kv));
    }
    const at = (<usize>j) << 2;
    store<f32>(scoresA + at, f32x4.extract_lane(finishScores(f32x4.splat(hsum(acc)), scale, softcap), 0));
    if (two) store<f32>(scoresB + at, f32x4.extract_lane(finishScores(f32x4.splat(hsum(accB)), scale, softcap), 0));
  }
}

/** max of scores[0, n) (n ≥ 1). */
// @ts-ignore: decorator
@inline
function maxOf(scores: usize, n: i32): f32 {
  let mv = f32x4.splat(NEG_INF);
  let j = 0;
  for (; j + 4 <= n; j += 4) mv = f32x4.max(mv, v128.load(scores + ((<usize>j) << 2)));
  let m = hmax(mv);
  for (; j < n; j++) m = max(m, load<f32>(scores + ((<usize>j) << 2)));
  return m;
}

/** Transpose-reduce: lane i = (a_i[0] + a_i[2]) + (a_i[1] + a_i[3]), the same order as hsum. */
// @ts-ignore: decorator
@inline
function reduce4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = f32x4.add(f32x4.shuffle(a0, a1, 0, 4, 1, 5), f32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(f32x4.shuffle(a2, a3, 0, 4, 1, 5), f32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(s01, s23, 0, 1, 4, 5), f32x4.shuffle(s01, s23, 2, 3, 6, 7));
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
 * Online softmax of n scores, key by key as ggml's flash attention, four keys per step: with m_j
 * the running max after key j (m_{-1} = *mAt), rescale[j] = exp(m_{j-1} - m_j) (1 unless key j
 * set a new max; 0 after -inf) and scores[j] = exp(s_j - m_j) (1 at a new max); the running sum
 * l = l·rescale[j] + scores[j] is accumulated key by key in f32 (l·1 is skipped: it is exact).
 * Updates *mAt and *lAt. The pad keys up to a whole vector get score -inf: p = 0 and rescale = 1,
 * so they change nothing (the scratch tile has room for them).
 */
// @ts-ignore: decorator
@inline
function onlineSoftmaxHalf(scores: usize, rescale: usize, n: i32, mAt: usize, lAt: usize): void {
  for (let j = n; j & 3; j++) store<f32>(scores + ((<usize>j) << 2), NEG_INF);
  let m = load<f32>(mAt);
  let l = load<f32>(lAt);
  const ninf = f32x4.splat(NEG_INF);
  for (let j = 0; j < n; j += 4) {
    const at = (<usize>j) << 2;
    const s = v128.load(scores + at);
    // Prefix max over the four lanes, then with the running max.
    // (pmax is a single instruction; max's NaN and ±0 rules cost several, and scores are finite.)
    let pm = f32x4.pmax(s, f32x4.shuffle(ninf, s, 3, 4, 5, 6));
    pm = f32x4.pmax(pm, f32x4.shuffle(ninf, pm, 2, 3, 4, 5));
    const mv = f32x4.splat(m);
    pm = f32x4.pmax(pm, mv);
    const prev = f32x4.shuffle(mv, pm, 0, 4, 5, 6); // lane i: the max before key i
    const p = vexp(f32x4.sub(s, pm));
    v128.store(scores + at, p);
    const lift = f32x4.sub(prev, pm); // 0 unless the key raised the max
    m = f32x4.extract_lane(pm, 3);
    if (v128.any_true(lift)) {
      const r = vexp(lift);
      v128.store(rescale + at, r);
      l = l * f32x4.extract_lane(r, 0) + f32x4.extract_lane(p, 0);
      l = l * f32x4.extract_lane(r, 1) + f32x4.extract_lane(p, 1);
      l = l * f32x4.extract_lane(r, 2) + f32x4.extract_lane(p, 2);
      l = l * f32x4.extract_lane(r, 3) + f32x4.extract_lane(p, 3);
    } else {
      v128.store(rescale + at, f32x4.splat(1));
      l = l + f32x4.extract_lane(p, 0);
      l = l + f32x4.extract_lane(p, 1);
      l = l + f32x4.extract_lane(p, 2);
      l = l + f32x4.extract_lane(p, 3);
    }
  }
  store<f32>(mAt, m);
  store<f32>(lAt, l);
}

/** f16 accumulator rescale: round16(o · m). */
// @ts-ignore: decorator
@inline
function rescaleHalf(o: v128, m: v128): v128 {
  return vroundHalf(f32x4.mul(o, m));
}

/** f16 accumulator step: round16(o + v · p). */
// @ts-ignore: decorator
@inline
function addHalf(o: v128, v: v128, p: v128): v128 {
  return vroundHalf(f32x4.add(o, f32x4.mul(v, p)));
}

/**
 * f16 accumulator: per key j, acc = round16(acc · rescale[j]) when rescale[j] ≠ 1, then
 * acc = round16(acc + v_j · p[j]). Rounding happens in f32 lanes (vroundHalf), 32, 16, 8 or 4 dims
 * per pass (as many independent chains: the rounding chain is latency-bound).
 */
// @ts-ignore: decorator
@inline
function accumulateValuesHalf(oRow: usize, p: usize, rescale: usize, n: i32, vp: usize, kvStride: usize, headDim: i32): void {
  let d = 0;
  // 32 dims per pass: eight independent round-to-f16 chains hide the chain's latency.
  for (; d + 32 <= headDim; d += 32) {
    const o = oRow + ((<usize>d) << 2);
    let o0 = v128.load(o);
    let o1 = v128.load(o, 16);
    let o2 = v128.load(o, 32);
    let o3 = v128.load(o, 48);
    let o4 = v128.load(o, 64);
    let o5 = v128.load(o, 80);
    let o6 = v128.load(o, 96);
    let o7 = v128.load(o, 112);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const ms = load<f32>(rescale + at);
      if (ms != 1) {
        const msv = f32x4.splat(ms);
        o0 = rescaleHalf(o0, msv);
        o1 = rescaleHalf(o1, msv);
        o2 = rescaleHalf(o2, msv);
        o3 = rescaleHalf(o3, msv);
        o4 = rescaleHalf(o4, msv);
        o5 = rescaleHalf(o5, msv);
        o6 = rescaleHalf(o6, msv);
        o7 = rescaleHalf(o7, msv);
      }
      const pj = f32x4.splat(load<f32>(p + at));
      o0 = addHalf(o0, v128.load(vr), pj);
      o1 = addHalf(o1, v128.load(vr, 16), pj);
      o2 = addHalf(o2, v128.load(vr, 32), pj);
      o3 = addHalf(o3, v128.load(vr, 48), pj);
      o4 = addHalf(o4, v128.load(vr, 64), pj);
      o5 = addHalf(o5, v128.load(vr, 80), pj);
      o6 = addHalf(o6, v128.load(vr, 96), pj);
      o7 = addHalf(o7, v128.load(vr, 112), pj);
      vr += kvStride;
    }
    v128.store(o, o0);
    v128.store(o, o1, 16);
    v128.store(o, o2, 32);
    v128.store(o, o3, 48);
    v128.store(o, o4, 64);
    v128.store(o, o5, 80);
    v128.store(o, o6, 96);
    v128.store(o, o7, 112);
  }
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
        o0 = rescaleHalf(o0, msv);
        o1 = rescaleHalf(o1, msv);
        o2 = rescaleHalf(o2, msv);
        o3 = rescaleHalf(o3, msv);
      }
      const pj = f32x4.splat(load<f32>(p + at));
      o0 = addHalf(o0, v128.load(vr), pj);
      o1 = addHalf(o1, v128.load(vr + 16), pj);
      o2 = addHalf(o2, v128.load(vr + 32), pj);
      o3 = addHalf(o3, v128.load(vr + 48), pj);
      vr += kvStride;
    }
    v128.store(o, o0);
    v128.store(o, o1, 16);
    v128.store(o, o2, 32);
    v128.store(o, o3, 48);
  }
  // 8 dims (small heads, e.g. D = 8): two chains per key, not two passes of one chain each
  for (; d + 8 <= headDim; d += 8) {
    const o = oRow + ((<usize>d) << 2);
    let o0 = v128.load(o);
    let o1 = v128.load(o, 16);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const ms = load<f32>(rescale + at);
      if (ms != 1) {
        const msv = f32x4.splat(ms);
        o0 = rescaleHalf(o0, msv);
        o1 = rescaleHalf(o1, msv);
      }
      const pj = f32x4.splat(load<f32>(p + at));
      o0 = addHalf(o0, v128.load(vr), pj);
      o1 = addHalf(o1, v128.load(vr, 16), pj);
      vr += kvStride;
    }
    v128.store(o, o0);
    v128.store(o, o1, 16);
  }
  for (; d < headDim; d += 4) {
    const o = oRow + ((<usize>d) << 2);
    let acc = v128.load(o);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const ms = load<f32>(rescale + at);
      if (ms != 1) acc = rescaleHalf(acc, f32x4.splat(ms));
      acc = addHalf(acc, v128.load(vr), f32x4.splat(load<f32>(p + at)));
      vr += kvStride;
    }
    v128.store(o, acc);
  }
}

/**
 * accumulateValuesHalf for two heads (A, B) over the same V rows, 8 dims of both per pass: four
 * independent round-to-f16 chains instead of two, for heads too small to fill the pipeline alone
 * (D = 8: one key's step waited on the previous key's rounding). Each head's arithmetic is exactly
 * its single-head sequence. headDim: a multiple of 8.
 */
// @ts-ignore: decorator
@inline
function accumulateValuesHalfPair(
  oA: usize, oB: usize, pA: usize, pB: usize, rA: usize, rB: usize, n: i32, vp: usize, kvStride: usize, headDim: i32,
): void {
  for (let d = 0; d < headDim; d += 8) {
    const offA = oA + ((<usize>d) << 2);
    const offB = oB + ((<usize>d) << 2);
    let a0 = v128.load(offA);
    let a1 = v128.load(offA, 16);
    let b0 = v128.load(offB);
    let b1 = v128.load(offB, 16);
    let vr = vp + ((<usize>d) << 2);
    for (let j = 0; j < n; j++) {
      const at = (<usize>j) << 2;
      const ma = load<f32>(rA + at);
      if (ma != 1) {
        const mv = f32x4.splat(ma);
        a0 = rescaleHalf(a0, mv);
        a1 = rescaleHalf(a1, mv);
      }
      const mb = load<f32>(rB + at);
      if (mb != 1) {
        const mv = f32x4.splat(mb);
        b0 = rescaleHalf(b0, mv);
        b1 = rescaleHalf(b1, mv);
      }
      const v0 = v128.load(vr);
      const v1 = v128.load(vr, 16);
      const pa = f32x4.splat(load<f32>(pA + at));
      const pb = f32x4.splat(load<f32>(pB + at));
      a0 = addHalf(a0, v0, pa);
      b0 = addHalf(b0, v0, pb);
      a1 = addHalf(a1, v1, pa);
      b1 = addHalf(b1, v1, pb);
      vr += kvStride;
    }
    v128.store(offA, a0);
    v128.store(offA, a1, 16);
    v128.store(offB, b0);
    v128.store(offB, b1, 16);
  }
}

/**
 * oRow[0, D) += Σ_j p[j] · v_j over n cache rows from vp, key by key, 16 output dims (four
 * chains) per pass. 32 dims per pass (eight chains) measured slower: decode at 1000 keys, 9 heads
 * of 64 dims, 164 → 184 µs per layer with an f16 cache in fast math, 123 → 141 with an f32 cache.
 */
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
      o0 = madd(pj, v128.load(vr), o0);
      o1 = madd(pj, v128.load(vr + 16), o1);
      o2 = madd(pj, v128.load(vr + 32), o2);
      o3 = madd(pj, v128.load(vr + 48), o3);
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
      acc = madd(f32x4.splat(load<f32>(p + ((<usize>j) << 2))), v128.load(vr), acc);
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
