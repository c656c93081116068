// Which of llama.cpp's two CPU flash-attention paths a call mirrors (the numerics differ).
//
// ggml_compute_forward_flash_attn_ext_f16 takes its tiled path (f32 q, 64-key tiles, f32
// accumulator) when the batch has at least GGML_FA_TILE_Q = 64 query rows and the V head dim is a
// multiple of its SIMD width (GGML_F32_EPR: 16 floats on the AVX-512 builds, as the zen4 build
// node-llama-cpp loads here); otherwise the per-key path (q and the V accumulator rounded to f16
// at every key). We mirror the AVX-512 choice: stories260K (head dim 8) stays per-key, which its
// goldens confirm (the 279-token prompt agrees to 4e-5 at its first positions that way, 6e-4 tiled).

/** GGML_FA_TILE_Q: fewest query tokens for the tiled path. */
export const TILED_ATTENTION_MIN_TOKENS = 64;

/** GGML_FA_TILE_KV: keys per tile; tiles start at cache rows that are multiples of it. */
export const TILED_ATTENTION_KEY_TILE = 64;

/** The head dim must be a multiple of this (GGML_F32_EPR of an AVX-512 build). */
export const TILED_ATTENTION_HEAD_DIM_MULTIPLE = 16;

/** True when llama.cpp would run this attention call (f16 cache) on its tiled path. */
export function usesTiledAttention(nTokens: number, headDim: number): boolean {
  return nTokens >= TILED_ATTENTION_MIN_TOKENS && headDim % TILED_ATTENTION_HEAD_DIM_MULTIPLE === 0;
}
