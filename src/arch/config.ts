// ModelConfig: everything the forward pass needs to know about a model, read from GGUF metadata
// by the architecture's entry in the registry. Flags default to the plain llama block.

export type RopeStyle = 'normal' | 'neox';
export type FfnActivation = 'silu' | 'gelu';

export interface ModelConfig {
  architecture: string;
  nVocab: number;
  /** Context length the model was trained with (llama.context_length). */
  nCtxTrain: number;
  /** Model width. */
  dim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Per-head dim of queries/keys (attention.key_length, default dim / nHeads). */
  headDim: number;
  /** Per-head dim of values (attention.value_length, default headDim). */
  headDimV: number;
  ffnDim: number;
  normEps: number;
  ropeBase: number;
  ropeDim: number;
  ropeStyle: RopeStyle;
  /** Linear rope scaling: positions multiplied by this (1 / scaling factor). */
  ropeFreqScale: number;
  /** ropeFreqScale of sliding-window layers (gemma3 local layers: 1), else ropeFreqScale. */
  ropeFreqScaleSwa: number;
  /**
   * Tensor of per-pair rope frequency divisors [ropeDim / 2], used when the file has it:
   * rope_freqs.weight (Llama 3) or rope_factors_short.weight (Phi-3 LongRoPE).
   */
  ropeFreqsTensor: string;
  ffnActivation: FfnActivation;
  /** Output matrix is the token embedding (no output.weight). */
  tiedEmbeddings: boolean;
  /** q, k, v projections carry biases (qwen2). */
  qkvBias: boolean;
  /** Per-head RMSNorm on q and k before rope (qwen3, gemma3). */
  qkNorm: boolean;
  /** Norms after attention / FFN output, before the residual add (gemma2/3). */
  postNorms: boolean;
  /** Embeddings multiplied by this after lookup (gemma: sqrt(dim)); 1 = none. */
  embedScale: number;
  /** Multiplier on q·k (default 1/sqrt(headDim)). */
  attnScale: number;
  /**
   * llama.cpp multiplies q by attnScale before attention and runs attention with scale 1
   * (gemma, phi3): the same math, but q is rounded to f16 after scaling, so we mirror it.
   */
  attnScaleOnQuery: boolean;
  /** Attention logit soft-cap (gemma2), 0 = off. */
  attnSoftcap: number;
  /** Final logit soft-cap (gemma2), 0 = off. */
  finalSoftcap: number;
  /** Sliding-window size (0 = none) and which layers use it. */
  slidingWindow: number;
  isSwaLayer: (layer: number) => boolean;
  /** Rope base for sliding-window layers when it differs (gemma3 local layers), else ropeBase. */
  ropeBaseSwa: number;
  bosId: number | null;
  eosId: number | null;
}
