// The forward pass of the standard decoder-only transformer, top to bottom, for a batch of
// T tokens at positions [pos0, pos0 + T). Families differ only through ModelConfig flags and
// optional weights (biases, QK norms, post norms, soft-caps, sliding windows).
//
// Legend: T tokens, dim model width, H / Hkv query / KV heads, D head dim, F FFN width, V vocab.
import type { AttentionSegment, Kernels, RopeParams } from '../kernels/types.js';
import type { MemoryViews } from '../runtime/memory.js';
import type { KVCache } from '../session/kv-cache.js';
import type { Scratch } from '../model/scratch.js';
import type { ModelWeights } from '../model/weights.js';
import type { ModelConfig } from './config.js';

export interface ForwardContext {
  cfg: ModelConfig;
  weights: ModelWeights;
  kernels: Kernels;
  scratch: Scratch;
  views: MemoryViews;
}

/** 'hidden': the final normed hidden states [T, dim] (for embeddings) instead of logits. */
export type LogitsWanted = 'last' | 'all' | 'none' | 'hidden';

/** One sequence's slice of a batch: its KV cache and its tokens at positions [pos0, pos0 + n). */
export interface BatchSegment {
  kv: KVCache;
  ids: ArrayLike<number>;
  pos0: number;
}

/** Layer l's attention segments: each sequence's rows in the batch and its caches. */
function attentionSegments(segments: readonly BatchSegment[], l: number): AttentionSegment[] {
  let row = 0;
  return segments.map(({ kv, ids, pos0 }) => {
    const seg = { row, nTokens: ids.length, pos0, kCachePtr: kv.k[l]!, vCachePtr: kv.v[l]! };
    row += ids.length;
    return seg;
  });
}

/**
 * Rope parameters of q and k for a forward of T tokens, as object literals of one fixed shape: an
 * object spread per call (`{ ...common, xPtr }`) made every rope call ~10× slower (≈3 µs of
 * property lookups and allocation against ≈0.35 µs for the call itself).
 */
function ropeParams(ctx: ForwardContext, T: number, swa: boolean): { q: RopeParams; k: RopeParams } {
  const { cfg, scratch: s, weights: w } = ctx;
  const make = (xPtr: number, nHeads: number): RopeParams => ({
    xPtr, posPtr: s.pos, nTokens: T, nHeads, headDim: cfg.headDim, nRot: cfg.ropeDim,
    freqBase: swa ? cfg.ropeBaseSwa : cfg.ropeBase, freqScale: swa ? cfg.ropeFreqScaleSwa : cfg.ropeFreqScale,
    neox: cfg.ropeStyle === 'neox', freqFactorsPtr: w.ropeFreqs ?? 0,
  });
  return { q: make(s.q, cfg.nHeads), k: make(s.k, cfg.nKvHeads) };
}

/**
 * Runs T ≤ scratch.maxBatch tokens through the model, writing their K/V into the cache rows
 * [pos0, pos0 + T). Returns the logits pointer: [1, V] for 'last', [T, V] for 'all';
 * for 'hidden', the output-normed hidden states [T, dim].
 */
export function forward(ctx: ForwardContext, kv: KVCache, ids: ArrayLike<number>, pos0: number, wanted: LogitsWanted): number {
  return forwardBatch(ctx, [{ kv, ids, pos0 }], wanted);
}

/**
 * Several sequences in one forward pass (batched decoding of concurrent sessions): matmuls run
 * over all their tokens at once; K/V stores and attention run per segment against its own cache.
 * 'last' returns [nSegments, V]: each segment's last-token logits, in order.
 */
export function forwardBatch(ctx: ForwardContext, segments: readonly BatchSegment[], wanted: LogitsWanted): number {
  const { cfg, weights: w, kernels: K, scratch: s, views } = ctx;
  const { dim, nHeads: H, nKvHeads: Hkv, headDim: D, headDimV: Dv, ffnDim: F } = cfg;
  const i32 = views.i32;
  let T = 0;
  for (const seg of segments) {
    for (let t = 0; t < seg.ids.length; t++, T++) {
      i32[(s.ids >> 2) + T] = seg.ids[t];
      i32[(s.pos >> 2) + T] = seg.pos0 + t;
    }
  }
  if (T > s.maxBatch) throw new Error(`batch of ${T} tokens exceeds the scratch size ${s.maxBatch}`);
  if (segments.some((seg) => seg.kv.kvType !== segments[0]!.kv.kvType)) throw new Error('a batch must use one KV cache type');

  // Built once per forward (not per layer): the same positions for every layer's q and k.
  const ropeGlobal = ropeParams(ctx, T, false);
  const ropeSwa = ropeParams(ctx, T, true);

  K.embed(w.tokEmbd, s.ids, T, s.x);                                   // x: [T, dim]
  if (cfg.embedScale !== 1) K.scale(s.x, T * dim, cfg.embedScale);

  for (let l = 0; l < cfg.nLayers; l++) {
    const lw = w.layers[l];
    const swa = cfg.isSwaLayer(l);
    // --- attention ---
    K.rmsnorm(s.x, lw.attnNorm, s.xb, T, dim, cfg.normEps);           // xb: [T, dim]
    // q: [T, H*D], k: [T, Hkv*D], v: [T, Hkv*Dv] (one split over the threads for the three)
    K.matmulMany([lw.wq, lw.wk, lw.wv], s.xb, [s.q, s.k, s.v], T);
    if (lw.bq) K.addBias(s.q, lw.bq, T, H * D);
    if (lw.bk) K.addBias(s.k, lw.bk, T, Hkv * D);
    if (lw.bv) K.addBias(s.v, lw.bv, T, Hkv * Dv);
    if (lw.qNorm) K.rmsnorm(s.q, lw.qNorm, s.q, T * H, D, cfg.normEps);   // per head: [T*H, D]
    if (lw.kNorm) K.rmsnorm(s.k, lw.kNorm, s.k, T * Hkv, D, cfg.normEps);
    const rope = swa ? ropeSwa : ropeGlobal;
    K.rope(rope.q);
    K.rope(rope.k);
    if (cfg.attnScaleOnQuery) K.scale(s.q, T * H * D, cfg.attnScale);
    // each segment: its K/V into its own cache, then attention against that cache
    K.storeAndAttend({
      qPtr: s.q, kPtr: s.k, vPtr: s.v, outPtr: s.attn,                 // attn: [T, H*Dv]
      segments: attentionSegments(segments, l), nHeads: H, nKvHeads: Hkv, headDim: D, kvType: segments[0]!.kv.kvType,
      scale: cfg.attnScaleOnQuery ? 1 : cfg.attnScale, softcap: cfg.attnSoftcap, window: swa ? cfg.slidingWindow : 0,
    });
    K.matmul(lw.wo, s.attn, s.xb, T);                                  // xb: [T, dim]
    if (lw.bo) K.addBias(s.xb, lw.bo, T, dim);
    if (lw.postAttnNorm) K.rmsnorm(s.xb, lw.postAttnNorm, s.xb, T, dim, cfg.normEps);
    K.add(s.x, s.xb, s.x, T * dim);                                    // residual

    // --- feed-forward ---
    K.rmsnorm(s.x, lw.ffnNorm, s.xb, T, dim, cfg.normEps);
    K.matmulMany([lw.wGate, lw.wUp], s.xb, [s.gate, s.up], T);         // gate, up: [T, F]
    if (cfg.ffnActivation === 'gelu') K.geglu(s.gate, s.up, s.gate, T * F);
    else K.swiglu(s.gate, s.up, s.gate, T * F);
    K.matmul(lw.wDown, s.gate, s.xb, T);                               // xb: [T, dim]
    if (lw.postFfnNorm) K.rmsnorm(s.xb, lw.postFfnNorm, s.xb, T, dim, cfg.normEps);
    K.add(s.x, s.xb, s.x, T * dim);
  }

  if (wanted === 'none') return s.logits;
  if (wanted === 'hidden') {
    K.rmsnorm(s.x, w.outputNorm, s.xb, T, dim, cfg.normEps);           // xb: [T, dim]
    return s.xb;
  }
  let xFirst = s.x;
  let n = T;
  if (wanted === 'last') {
    // Gather each segment's last row into xb: [nSegments, dim].
    const f32 = views.f32;
    let end = 0;
    segments.forEach((seg, i) => {
      end += seg.ids.length;
      f32.copyWithin((s.xb >> 2) + i * dim, (s.x >> 2) + (end - 1) * dim, (s.x >> 2) + end * dim);
    });
    xFirst = s.xb;
    n = segments.length;
  }
  K.rmsnorm(xFirst, w.outputNorm, s.xb, n, dim, cfg.normEps);
  K.matmul(w.output, s.xb, s.logits, n);                               // logits: [n, V]
  if (cfg.finalSoftcap > 0) K.softcap(s.logits, n * cfg.nVocab, cfg.finalSoftcap);
  return s.logits;
}
