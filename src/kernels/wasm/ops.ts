// TS glue for the non-matmul WASM kernels (kernels/ops_*.ts): argument checks, the split of each
// op over the pool's threads, and attention scratch. Semantics: src/kernels/types.ts.
import { geluTable } from '../gelu-table.js';
import { usesTiledAttention } from '../attention-path.js';
import type { AttentionParams, AttentionShape, KVType, RopeParams, SegmentAttentionParams } from '../types.js';
import type { WasmContext } from './context.js';
import { prefillChunksFor } from './matmul.js';

/** Below this much work (≈ f32 elements touched) an op runs on the calling thread: a fork-join costs more. */
let inlineWork = Number(process.env.TSLLAMA_OPS_INLINE ?? 16 * 1024);
/** Elementwise ranges start at multiples of this: whole 4-lane vectors and 8-wide f16 stores per thread. */
const ELEMENT_GRANULE = 64;

/**
 * exports[fn](...args, 0, nRows) on this thread when the work is small, else split over the pool
 * (in chunksPerThread chunks per thread, see WorkerPool.run).
 */
function runSplit(ctx: WasmContext, fn: string, args: number[], nRows: number, work: number, granule = 1, chunksPerThread = 1): void {
  if (nRows <= 0) return;
  if (work < inlineWork || ctx.pool.threads === 1) {
    ctx.pool.exports[fn](...args, 0, nRows);
    return;
  }
  ctx.pool.run(fn, args, nRows, granule, chunksPerThread);
}

/** Tuning: work below `inlineWork` runs on the calling thread (tests set 0 to thread even tiny inputs). */
export function setOpsTuning(t: { inlineWork?: number }): void {
  if (t.inlineWork !== undefined) inlineWork = t.inlineWork;
}

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

function checkCount(op: string, what: string, n: number, min = 0): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${op}: ${what} must be an integer ≥ ${min}, got ${n}`);
}

/** out[T, dim] = x / sqrt(mean(x²) + eps) · weight (weightPtr 0: no weight); out may equal x. */
export function rmsnormWasm(ctx: WasmContext, xPtr: number, weightPtr: number, outPtr: number, nTokens: number, dim: number, eps: number): void {
  checkCount('rmsnorm', 'nTokens', nTokens);
  checkCount('rmsnorm', 'dim', dim, 1);
  runSplit(ctx, 'rmsnorm_rows', [xPtr, weightPtr, outPtr, dim, eps], nTokens, nTokens * dim);
}

/**
 * A rope angle table in the 'misc' scratch region: cos/sin of every (token, pair) for one set of
 * positions and frequency parameters. The forward pass ropes q and k of every layer with the same
 * positions, so the table is computed once per forward (once per base with sliding-window layers)
 * instead of 2 · nLayers times. Keyed on the position values (compared each call), nRot, base,
 * scale and the freq-factor pointer: factors are weights, never rewritten in place.
 */
interface RopeTable {
  /** Byte offset of the table [T, 2, nRot/2] f32. */
  ptr: number;
  /** The region the table lives in; a different pointer from ctx.scratch means it was moved. */
  region: number;
  nRot: number;
  freqBase: number;
  freqScale: number;
  freqFactorsPtr: number;
  positions: Int32Array;
  /** Written into the table's header word; a mismatch means the region was overwritten. */
  stamp: number;
}

/** Tables kept per context: two, so that models alternating two rope bases (SWA) keep both. */
const ROPE_TABLES_KEPT = 2;
const ropeTables = new WeakMap<WasmContext, RopeTable[]>();
let ropeStamp = 0x5eed;

/** Bytes of one table slot for T tokens: a 64-byte header (the stamp) and the table. */
function ropeSlotBytes(T: number, nRot: number): number {
  return 64 + align64(T * nRot * 4);
}

/** The cached table for p, or a freshly computed one (evicting the oldest). */
function ropeTable(ctx: WasmContext, p: RopeParams): RopeTable {
  const T = p.nTokens;
  const slotBytes = ropeSlotBytes(T, p.nRot);
  const region = ctx.scratch('misc', ROPE_TABLES_KEPT * slotBytes);
  const i32 = ctx.views.i32;
  const posAt = p.posPtr >> 2;
  let tables = ropeTables.get(ctx);
  if (!tables) ropeTables.set(ctx, (tables = []));
  for (let k = tables.length - 1; k >= 0; k--) {
    const e = tables[k];
    if (e.region !== region || e.positions.length !== T || e.nRot !== p.nRot || e.freqBase !== p.freqBase
      || e.freqScale !== p.freqScale || e.freqFactorsPtr !== p.freqFactorsPtr || i32[(e.ptr - 64) >> 2] !== e.stamp) continue;
    let same = true;
    for (let t = 0; t < T && same; t++) same = e.positions[t] === i32[posAt + t];
    if (same) return e;
  }

  // Reuse the slot of the oldest entry (entries with another region or T are stale: drop them).
  const live = tables.filter((e) => e.region === region && e.positions.length === T && e.nRot === p.nRot);
  const used = new Set(live.map((e) => e.ptr));
  let ptr = -1;
  for (let k = 0; k < ROPE_TABLES_KEPT && ptr < 0; k++) if (!used.has(region + k * slotBytes + 64)) ptr = region + k * slotBytes + 64;
  if (ptr < 0) ptr = live.shift()!.ptr;
  const entry: RopeTable = {
    ptr, region, nRot: p.nRot, freqBase: p.freqBase, freqScale: p.freqScale, freqFactorsPtr: p.freqFactorsPtr,
    positions: i32.slice(posAt, posAt + T), stamp: (ropeStamp = (Math.imul(ropeStamp, 1103515245) + 12345) | 0),
  };
  const args = [p.posPtr, p.nRot, p.freqBase, p.freqScale, p.freqFactorsPtr, ptr];
  // Each pair costs a cos and a sin, ≈ 40 multiply-adds.
  runSplit(ctx, 'rope_table_rows', args, T, T * (p.nRot / 2) * 40);
  i32[(ptr - 64) >> 2] = entry.stamp;
  live.push(entry);
  ropeTables.set(ctx, live);
  return entry;
}

/** Rotates x [T, nHeads, headDim] in place; split over tokens. Angles come from a per-context table cache. */
export function ropeWasm(ctx: WasmContext, p: RopeParams): void {
  checkCount('rope', 'nTokens', p.nTokens);
  checkCount('rope', 'nHeads', p.nHeads, 1);
  if (p.nRot % 2 !== 0 || p.nRot < 2 || p.nRot > p.headDim) {
    throw new Error(`rope: nRot must be even and in [2, headDim=${p.headDim}], got ${p.nRot}`);
  }
  if (p.nTokens === 0) return;
  const table = ropeTable(ctx, p);
  const args = [p.xPtr, table.ptr, p.nHeads, p.headDim, p.nRot, p.neox ? 1 : 0];
  runSplit(ctx, 'rope_apply_rows', args, p.nTokens, p.nTokens * p.nHeads * p.nRot * 2);
}

/** Writes src [T, rowDim] f32 into rows [row0, row0 + T) of a [C, rowDim] cache of kvType. */
export function kvStoreWasm(
  ctx: WasmContext, srcPtr: number, nTokens: number, rowDim: number, cachePtr: number, kvType: KVType, row0: number,
): void {
  checkCount('kvStore', 'nTokens', nTokens);
  checkCount('kvStore', 'rowDim', rowDim, 1);
  checkCount('kvStore', 'row0', row0);
  const n = nTokens * rowDim;
  if (kvType === 'f32') {
    const dst = cachePtr + row0 * rowDim * 4;
    ctx.views.u8.copyWithin(dst, srcPtr, srcPtr + n * 4);
  } else if (kvType === 'f16') {
    runSplit(ctx, 'f32_to_f16_range', [srcPtr, cachePtr + row0 * rowDim * 2], n, n, ELEMENT_GRANULE);
  } else {
    throw new Error(`kvStore: unknown KV type '${kvType as string}'`);
  }
}

function checkAttentionShape(p: AttentionShape): void {
  checkCount('attention', 'nHeads', p.nHeads, 1);
  checkCount('attention', 'nKvHeads', p.nKvHeads, 1);
  checkCount('attention', 'window', p.window);
  if (p.nHeads % p.nKvHeads !== 0) throw new Error(`attention: nHeads (${p.nHeads}) must be a multiple of nKvHeads (${p.nKvHeads})`);
  if (p.headDim < 4 || p.headDim % 4 !== 0) throw new Error(`attention: headDim must be a positive multiple of 4, got ${p.headDim}`);
  if (p.kvType !== 'f32' && p.kvType !== 'f16') throw new Error(`attention: unknown KV type '${p.kvType as string}'`);
}

/** llama.cpp's per-key f16 path for small batches, its tiled f32 path for big ones (see Kernels.attention). */
function halfAccumulator(ctx: WasmContext, kvType: KVType, T: number, D: number): boolean {
  return kvType === 'f16' && !ctx.fastMath && !usesTiledAttention(T, D);
}

interface AttentionScratch {
  /** [units] per-unit tiles */
  units: number;
  /** f16-rounded q [T, H, D] f32, or 0 */
  qHalf: number;
  /** (f16 cache) one claim flag per thread, padded to 64 bytes, then per thread a K/V tile buffer; or 0 */
  slots: number;
  nSlots: number;
  /** `extraBytes` more at the end (the segment table), or 0 */
  extra: number;
}

/** Lays out the 'attn' scratch region for `units` work units over T query rows. */
function attentionScratch(ctx: WasmContext, units: number, T: number, H: number, D: number, halfCache: boolean, halfAcc: boolean, extraBytes = 0): AttentionScratch {
  const exp = ctx.pool.exports;
  const unitBytes = align64(units * (exp.attention_scratch_floats_per_unit() as number) * 4);
  const qHalfBytes = halfAcc ? align64(T * H * D * 4) : 0;
  const nSlots = ctx.pool.threads;
  const slotBytes = halfCache ? align64(nSlots * 4) + nSlots * 2 * (exp.attention_key_tile() as number) * D * 4 : 0;
  const base = ctx.scratch('attn', unitBytes + qHalfBytes + slotBytes + align64(extraBytes));
  const slots = halfCache ? base + unitBytes + qHalfBytes : 0;
  if (halfCache) ctx.views.i32.fill(0, slots >> 2, (slots >> 2) + nSlots);
  return {
    units: base, qHalf: halfAcc ? base + unitBytes : 0, slots, nSlots,
    extra: extraBytes > 0 ? base + unitBytes + qHalfBytes + slotBytes : 0,
  };
}

/**
 * Causal (optionally windowed, soft-capped) attention of q against the cache; split over (head,
 * query tile). An f16 cache gets llama.cpp's flash-attention numerics (see Kernels.attention):
 * f16-rounded q and an f16 V accumulator, or where llama.cpp runs its tiled path
 * (usesTiledAttention) an f32 accumulator (the kernel's key tiles are the same 64 rows); ctx.fastMath always
 * accumulates in f32.
 */
export function attentionWasm(ctx: WasmContext, p: AttentionParams): void {
  const { nTokens: T, nHeads: H, nKvHeads: Hkv, headDim: D } = p;
  checkCount('attention', 'nTokens', T);
  checkCount('attention', 'pos0', p.pos0);
  checkAttentionShape(p);
  if (T === 0) return;

  const exp = ctx.pool.exports;
  const units = H * Math.ceil(T / (exp.attention_query_tile() as number));
  const halfCache = p.kvType === 'f16';
  const sc = attentionScratch(ctx, units, T, H, D, halfCache, halfAccumulator(ctx, p.kvType, T, D));
  const keysPerQuery = p.window > 0 ? Math.min(p.window, p.pos0 + T) : p.pos0 + T;
  const args = [
    p.qPtr, p.kCachePtr, p.vCachePtr, p.outPtr, sc.units, sc.slots, sc.nSlots, sc.qHalf, T, p.pos0, H, Hkv, D,
    halfCache ? 1 : 0, p.scale, p.softcap, p.window,
  ];
  runSplit(ctx, 'attention_units', args, units, 2 * T * H * keysPerQuery * D, 1, prefillChunksFor(T));
}

/** i32 per segment in the table attention_segments / kv_store_segments read (kernels/ops_attention.ts). */
const SEGMENT_INTS = 8;

/**
 * Kernels.storeAndAttend: one segment goes through kvStore + attention; several (batched decode)
 * share one K/V store call and one attention call, their work units numbered segment after
 * segment (a table in scratch memory says where each segment's rows, cache and units are).
 */
export function storeAndAttendWasm(ctx: WasmContext, p: SegmentAttentionParams): void {
  const { segments, nHeads: H, nKvHeads: Hkv, headDim: D, kvType } = p;
  checkAttentionShape(p);
  const kRow = Hkv * D;
  const qRow = H * D;
  if (segments.length === 1) {
    const seg = segments[0]!;
    kvStoreWasm(ctx, p.kPtr + seg.row * kRow * 4, seg.nTokens, kRow, seg.kCachePtr, kvType, seg.pos0);
    kvStoreWasm(ctx, p.vPtr + seg.row * kRow * 4, seg.nTokens, kRow, seg.vCachePtr, kvType, seg.pos0);
    attentionWasm(ctx, {
      qPtr: p.qPtr + seg.row * qRow * 4, kCachePtr: seg.kCachePtr, vCachePtr: seg.vCachePtr, outPtr: p.outPtr + seg.row * qRow * 4,
      nTokens: seg.nTokens, pos0: seg.pos0, nHeads: H, nKvHeads: Hkv, headDim: D, kvType, scale: p.scale, softcap: p.softcap, window: p.window,
    });
    return;
  }
  const exp = ctx.pool.exports;
  const queryTile = exp.attention_query_tile() as number;
  // per segment, once: its first work unit and whether it takes the f16 accumulator (per-key) path
  const unitStarts: number[] = [];
  const halfAcc: boolean[] = [];
  let units = 0;
  let T = 0;
  let work = 0;
  for (const seg of segments) {
    checkCount('attention', 'nTokens', seg.nTokens);
    checkCount('attention', 'pos0', seg.pos0);
    unitStarts.push(units);
    halfAcc.push(halfAccumulator(ctx, kvType, seg.nTokens, D));
    units += H * Math.ceil(seg.nTokens / queryTile);
    T = Math.max(T, seg.row + seg.nTokens);
    work += 2 * seg.nTokens * H * (p.window > 0 ? Math.min(p.window, seg.pos0 + seg.nTokens) : seg.pos0 + seg.nTokens) * D;
  }
  if (units === 0) return;
  const halfCache = kvType === 'f16';
  const sc = attentionScratch(ctx, units, T, H, D, halfCache, halfAcc.includes(true), segments.length * SEGMENT_INTS * 4);
  const i32 = ctx.views.i32;
  segments.forEach((seg, i) => {
    const e = (sc.extra >> 2) + i * SEGMENT_INTS;
    i32[e] = seg.row;
    i32[e + 1] = seg.nTokens;
    i32[e + 2] = seg.pos0;
    i32[e + 3] = seg.kCachePtr;
    i32[e + 4] = seg.vCachePtr;
    i32[e + 5] = unitStarts[i]!;
    i32[e + 6] = halfAcc[i] ? 1 : 0;
    i32[e + 7] = 0;
  });
  if (halfCache) {
    exp.kv_store_segments(sc.extra, segments.length, p.kPtr, p.vPtr, kRow);
  } else {
    for (const seg of segments) {
      kvStoreWasm(ctx, p.kPtr + seg.row * kRow * 4, seg.nTokens, kRow, seg.kCachePtr, kvType, seg.pos0);
      kvStoreWasm(ctx, p.vPtr + seg.row * kRow * 4, seg.nTokens, kRow, seg.vCachePtr, kvType, seg.pos0);
    }
  }
  const args = [
    sc.extra, segments.length, p.qPtr, p.outPtr, sc.units, sc.slots, sc.nSlots, sc.qHalf, H, Hkv, D,
    halfCache ? 1 : 0, p.scale, p.softcap, p.window,
  ];
  runSplit(ctx, 'attention_segments', args, units, work, 1, prefillChunksFor(T));
}

/** Kernels.topK: scores are copied into the 'sample' scratch, the result copied out (k entries). */
export function topKWasm(ctx: WasmContext, scores: Float32Array, k: number, ids: Int32Array, logits: Float32Array): number {
  checkCount('topK', 'k', k);
  const n = scores.length;
  k = Math.min(k, n);
  if (ids.length < k || logits.length < k) throw new RangeError(`topK: output arrays hold ${Math.min(ids.length, logits.length)} entries, need ${k}`);
  if (k === 0) return 0;
  const exp = ctx.pool.exports;
  const scoresBytes = align64(n * 4);
  const workBytes = align64(exp.top_k_work_bytes(k) as number);
  const outBytes = align64(k * 4);
  const base = ctx.scratch('sample', scoresBytes + workBytes + 2 * outBytes);
  const work = base + scoresBytes;
  const outIds = work + workBytes;
  const outLogits = outIds + outBytes;
  const f32 = ctx.views.f32;
  f32.set(scores, base >> 2);
  const m = exp.top_k(base, n, k, work, outIds, outLogits) as number;
  ids.set(ctx.views.i32.subarray(outIds >> 2, (outIds >> 2) + m));
  logits.set(f32.subarray(outLogits >> 2, (outLogits >> 2) + m));
  return m;
}

/** out[n] = silu(gate) · up */
export function swigluWasm(ctx: WasmContext, gatePtr: number, upPtr: number, outPtr: number, n: number): void {
  checkCount('swiglu', 'n', n);
  runSplit(ctx, 'swiglu_range', [gatePtr, upPtr, outPtr], n, 8 * n, ELEMENT_GRANULE);
}

/** The GELU table in WASM memory, per memory (allocated once from the arena, never released). */
const geluTables = new WeakMap<WebAssembly.Memory, number>();

function geluTablePtr(ctx: WasmContext): number {
  const memory = ctx.views.memory;
  let ptr = geluTables.get(memory);
  if (ptr === undefined) {
    const t = geluTable();
    ptr = ctx.arena.alloc(t.byteLength, 64, 'gelu table');
    ctx.views.f32.set(t, ptr >> 2);
    geluTables.set(memory, ptr);
  }
  return ptr;
}

/** out[n] = gelu(gate) · up, gelu as llama.cpp's CPU table */
export function gegluWasm(ctx: WasmContext, gatePtr: number, upPtr: number, outPtr: number, n: number): void {
  checkCount('geglu', 'n', n);
  runSplit(ctx, 'geglu_range', [gatePtr, upPtr, outPtr, geluTablePtr(ctx)], n, 8 * n, ELEMENT_GRANULE);
}

/** out[n] = a + b */
export function addWasm(ctx: WasmContext, aPtr: number, bPtr: number, outPtr: number, n: number): void {
  checkCount('add', 'n', n);
  runSplit(ctx, 'add_range', [aPtr, bPtr, outPtr], n, n, ELEMENT_GRANULE);
}

/** x[T, dim] += bias[dim] */
export function addBiasWasm(ctx: WasmContext, xPtr: number, biasPtr: number, nTokens: number, dim: number): void {
  checkCount('addBias', 'nTokens', nTokens);
  checkCount('addBias', 'dim', dim, 1);
  runSplit(ctx, 'add_bias_rows', [xPtr, biasPtr, dim], nTokens, nTokens * dim);
}

/** x[n] *= s */
export function scaleWasm(ctx: WasmContext, xPtr: number, n: number, s: number): void {
  checkCount('scale', 'n', n);
  runSplit(ctx, 'scale_range', [xPtr, s], n, n, ELEMENT_GRANULE);
}

/** x[n] = cap · tanh(x / cap) */
export function softcapWasm(ctx: WasmContext, xPtr: number, n: number, cap: number): void {
  checkCount('softcap', 'n', n);
  if (!(cap > 0)) throw new Error(`softcap: cap must be > 0, got ${cap}`);
  runSplit(ctx, 'softcap_range', [xPtr, cap], n, 8 * n, ELEMENT_GRANULE);
}
