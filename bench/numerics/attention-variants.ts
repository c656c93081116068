// Alternative numerics for ScalarKernels' f16-KV attention, installed by patching its prototype,
// so the numerics probe can ask "which of llama.cpp's CPU flash-attention paths made these
// numbers?" without editing the engine. Each variant mirrors one ggml code path (ops.cpp):
//
//   mirror  the engine's own attendF16 (one_chunk path, f16 V accumulator, separate mul and add;
//           the engine itself switches to attendTiled where src/kernels/attention-path.ts says)
//   fma     one_chunk path as compiled with FMA contraction: V += v·vs and S = S·ms + vs rounded
//           once (then V to f16); output V·(1/S) in f32
//   fma-v / fma-s / mul-inv   each of those three changes alone
//   tiled   batches of ≥ 64 queries take ggml_compute_forward_flash_attn_ext_tiled: q stays f32,
//           KQ by f32 FMA over d, softmax per 64-key tile, V accumulated in f32 (FMA per key);
//           smaller batches take the `fma` path
//   f32acc  every batch: the tiled path's f32 math (what a V-in-f32 one_chunk would give)
//
// Legend: D head dim, j key index, T query tokens.
import { f16ToF32, roundToF16 } from '../../src/gguf/f16.js';
import { TILED_ATTENTION_KEY_TILE, TILED_ATTENTION_MIN_TOKENS } from '../../src/kernels/attention-path.js';
import { ScalarKernels } from '../../src/kernels/scalar/index.js';
import type { AttentionParams } from '../../src/kernels/types.js';

export type AttentionVariant = 'mirror' | 'fma' | 'fma-v' | 'fma-s' | 'mul-inv' | 'tiled' | 'f32acc';
export const ATTENTION_VARIANTS: AttentionVariant[] = ['mirror', 'fma', 'fma-v', 'fma-s', 'mul-inv', 'tiled', 'f32acc'];

/** ggml's FA tile sizes (GGML_FA_TILE_Q, GGML_FA_TILE_KV). */
// ggml's tile sizes, shared with the engine's own mirror of the tiled path (ScalarKernels.attendTiled,
// which differs from attendTiledF32 below only in rounding the dot products without FMA).
const Q_TILE = TILED_ATTENTION_MIN_TOKENS;
const KV_TILE = TILED_ATTENTION_KEY_TILE;
const fr = Math.fround;

interface KvRange { lo: number; hi: number; kvRow: number; kvOff: number }
type Attend = (this: ScalarKernels, p: AttentionParams, q: number, o: number, kv: KvRange) => void;

const proto = ScalarKernels.prototype as unknown as { attendF16: Attend };
const original: Attend = proto.attendF16;

function views(k: ScalarKernels): { f32: Float32Array; u16: Uint16Array } {
  return { f32: new Float32Array(k.memory.buffer), u16: new Uint16Array(k.memory.buffer) };
}

/** fma(a, b, c) in f32: the product of two f32 values is exact in f64, so one rounding remains. */
const fma32 = (a: number, b: number, c: number): number => fr(a * b + c);

interface OneChunkFlags { fmaV: boolean; fmaS: boolean; mulInv: boolean }

/** ggml's one_chunk path; the flags pick where the compiler contracted a·b + c into one FMA. */
const oneChunk = (f: OneChunkFlags): Attend => function (p, q, o, kv) {
  const { f32, u16 } = views(this);
  const D = p.headDim;
  const qh = new Float64Array(D);
  for (let d = 0; d < D; d++) qh[d] = roundToF16(f32[q + d]);
  const acc = new Float64Array(D); // f16 values
  let M = -Infinity;
  let S = 0;
  for (let j = kv.lo; j <= kv.hi; j++) {
    const kBase = (p.kCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
    const vBase = (p.vCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
    let s = 0;
    for (let d = 0; d < D; d++) s += qh[d] * f16ToF32(u16[kBase + d]);
    s = fr(fr(s) * p.scale);
    let ms = 1;
    let vs = 1;
    if (s > M) {
      const mOld = M;
      M = s;
      ms = fr(Math.exp(mOld - M));
      for (let d = 0; d < D; d++) acc[d] = roundToF16(fr(acc[d] * ms));
    } else {
      vs = fr(Math.exp(s - M));
    }
    for (let d = 0; d < D; d++) {
      const v = f16ToF32(u16[vBase + d]);
      acc[d] = roundToF16(f.fmaV ? fma32(v, vs, acc[d]) : fr(acc[d] + fr(v * vs)));
    }
    S = f.fmaS ? fma32(S, ms, vs) : fr(fr(S * ms) + vs);
  }
  const inv = S === 0 ? 0 : fr(1 / S);
  for (let d = 0; d < D; d++) f32[o + d] = f.mulInv ? fr(acc[d] * inv) : fr(acc[d] / S);
};
const attendFma = oneChunk({ fmaV: true, fmaS: true, mulInv: true });

/** ggml's tiled path for one query row: keys in 64-wide tiles aligned at 0, f32 everywhere. */
const attendTiledF32: Attend = function (p, q, o, kv) {
  const { f32, u16 } = views(this);
  const D = p.headDim;
  const vkq = new Float64Array(D); // f32 values
  let M = -Infinity;
  let S = 0;
  const tileStart = Math.floor(kv.lo / KV_TILE) * KV_TILE;
  for (let ic = tileStart; ic <= kv.hi; ic += KV_TILE) {
    const n = Math.min(KV_TILE, kv.hi + 1 - ic);
    const kq = new Float64Array(n);
    let tileMax = -Infinity;
    for (let t = 0; t < n; t++) {
      const j = ic + t;
      if (j < kv.lo) { kq[t] = -Infinity; continue; }
      const kBase = (p.kCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
      let s = 0;
      for (let d = 0; d < D; d++) s = fma32(f32[q + d], f16ToF32(u16[kBase + d]), s);
      kq[t] = fr(s * p.scale);
      if (kq[t] > tileMax) tileMax = kq[t];
    }
    if (tileMax === -Infinity) continue;
    const mNew = Math.max(M, tileMax);
    if (mNew > M) {
      const ms = fr(Math.exp(M - mNew));
      for (let d = 0; d < D; d++) vkq[d] = fr(vkq[d] * ms);
      S = fr(S * ms);
    }
    M = mNew;
    let sum = 0; // ggml_vec_soft_max_f32 sums in double
    for (let t = 0; t < n; t++) {
      kq[t] = kq[t] === -Infinity ? 0 : fr(Math.exp(fr(kq[t] - M)));
      sum += kq[t];
    }
    S = fr(S + sum);
    for (let t = 0; t < n; t++) {
      const vBase = (p.vCachePtr >> 1) + (ic + t) * kv.kvRow + kv.kvOff;
      if (kq[t] === 0) continue;
      for (let d = 0; d < D; d++) vkq[d] = fma32(kq[t], f16ToF32(u16[vBase + d]), vkq[d]);
    }
  }
  const inv = S === 0 ? 0 : fr(1 / S);
  for (let d = 0; d < D; d++) f32[o + d] = fr(vkq[d] * inv);
};

/** Installs one variant (process-wide, for every ScalarKernels instance). */
export function useAttentionVariant(v: AttentionVariant): void {
  switch (v) {
    case 'mirror': proto.attendF16 = original; break;
    case 'fma': proto.attendF16 = attendFma; break;
    case 'fma-v': proto.attendF16 = oneChunk({ fmaV: true, fmaS: false, mulInv: false }); break;
    case 'fma-s': proto.attendF16 = oneChunk({ fmaV: false, fmaS: true, mulInv: false }); break;
    case 'mul-inv': proto.attendF16 = oneChunk({ fmaV: false, fmaS: false, mulInv: true }); break;
    case 'f32acc': proto.attendF16 = attendTiledF32; break;
    case 'tiled':
      proto.attendF16 = function (p, q, o, kv) {
        (p.nTokens >= Q_TILE ? attendTiledF32 : attendFma).call(this, p, q, o, kv);
      };
      break;
  }
}
