// Model weights in WASM memory: packed matrices and f32 vectors (norms, biases), by role.
import type { PackedWeight } from '../kernels/types.js';

/** Pointer to an f32 vector in WASM memory. */
export type VecPtr = number;

export interface LayerWeights {
  attnNorm: VecPtr;          // [dim]
  wq: PackedWeight;          // [H*D, dim]
  wk: PackedWeight;          // [Hkv*D, dim]
  wv: PackedWeight;          // [Hkv*Dv, dim]
  wo: PackedWeight;          // [dim, H*Dv]
  bq?: VecPtr; bk?: VecPtr; bv?: VecPtr; bo?: VecPtr;
  qNorm?: VecPtr;            // [D] per-head RMSNorm on q (qwen3, gemma3)
  kNorm?: VecPtr;            // [D]
  postAttnNorm?: VecPtr;     // [dim] (gemma2/3)
  ffnNorm: VecPtr;           // [dim]
  wGate: PackedWeight;       // [ffn, dim]
  wUp: PackedWeight;         // [ffn, dim]
  wDown: PackedWeight;       // [dim, ffn]
  postFfnNorm?: VecPtr;      // [dim]
}

export interface ModelWeights {
  tokEmbd: PackedWeight;     // [vocab, dim]
  outputNorm: VecPtr;        // [dim]
  output: PackedWeight;      // [vocab, dim] (the token embedding itself when tied)
  ropeFreqs?: VecPtr;        // [ropeDim / 2] (llama-3 rope_freqs)
  layers: LayerWeights[];
}
