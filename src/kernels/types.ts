// The kernel interface the forward pass is written against.
//
// Every pointer is a byte offset into the one shared WebAssembly.Memory that holds weights,
// KV cache and scratch. Two backends implement it:
//   - ScalarKernels (src/kernels/scalar/): plain TypeScript, the test oracle, never benchmarked;
//   - WasmKernels   (src/kernels/wasm/):   AssemblyScript → WASM SIMD, threaded through the pool.
// Each backend owns its packed weight layout (the WASM one repacks into row panels);
// callers only hold PackedWeight handles.
//
// Shape legend: T = tokens in the batch, K = input features (cols), N = output features (rows),
// H = query heads, Hkv = KV heads, D = head dim, C = context length (KV rows).

/** In-memory weight formats. f16: values rounded to f16, matmul rounds activations to f16 too (as ggml does). */
export type WeightFormat = 'f32' | 'f16' | 'q8' | 'q4';

/** Source layouts a backend can pack from (raw GGUF block data already in WASM memory). */
export type PackSource = 'f32' | 'f16' | 'q8_0' | 'q4_0';

/** KV cache element type. */
export type KVType = 'f32' | 'f16';

export interface PackedWeight {
  readonly format: WeightFormat;
  /** N: output features. */
  readonly rows: number;
  /** K: input features (row length). */
  readonly cols: number;
  readonly ptr: number;
  readonly bytes: number;
}

/** Head layout, cache type and score options shared by one attention call and a batched one. */
export interface AttentionShape {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  kvType: KVType;
  /** Multiplier on q·k, usually 1/sqrt(D). */
  scale: number;
  /** Attention logit soft-capping (gemma2): s = cap * tanh(s / cap); 0 = off. */
  softcap: number;
  /** Sliding window: token at position p sees positions > p - window; 0 = unlimited. */
  window: number;
}

export interface AttentionParams extends AttentionShape {
  /** q: [T, H, D] f32 */
  qPtr: number;
  /** K cache of one layer: [C, Hkv, D] in kvType */
  kCachePtr: number;
  /** V cache of one layer: [C, Hkv, D] in kvType */
  vCachePtr: number;
  /** out: [T, H, D] f32 */
  outPtr: number;
  nTokens: number;
  /** Position of the first token of the batch: token t attends to cache rows [lo, pos0 + t]. */
  pos0: number;
}

/** One sequence's rows in a batched attention call (see Kernels.storeAndAttend). */
export interface AttentionSegment {
  /** First row of this sequence in the batch's q / k / v / out arrays. */
  row: number;
  nTokens: number;
  /** Cache row (position) of the segment's first token. */
  pos0: number;
  /** This sequence's K / V cache of the layer: [C, Hkv, D] in kvType. */
  kCachePtr: number;
  vCachePtr: number;
}

/** Several sequences' attention in one call: shared shapes, each segment its own cache. */
export interface SegmentAttentionParams extends AttentionShape {
  /** q: [T, H, D] f32, T = Σ segment tokens. */
  qPtr: number;
  /** New keys / values of the batch: [T, Hkv, D] f32, stored into each segment's cache first. */
  kPtr: number;
  vPtr: number;
  /** out: [T, H, D] f32 */
  outPtr: number;
  segments: readonly AttentionSegment[];
}

export interface RopeParams {
  /** x: [T, nHeads, D] f32, rotated in place. */
  xPtr: number;
  /** positions: [T] i32 */
  posPtr: number;
  nTokens: number;
  nHeads: number;
  headDim: number;
  /** Rotated dims per head (rope.dimension_count), ≤ D; the rest pass through. */
  nRot: number;
  freqBase: number;
  /** Positions are multiplied by this (linear rope scaling: 1 / factor). */
  freqScale: number;
  /** NeoX style rotates pairs (i, i + nRot/2); normal style rotates (2i, 2i+1). */
  neox: boolean;
  /** Optional per-pair frequency divisors [nRot/2] f32 (Llama-3 rope_freqs); 0 = none. */
  freqFactorsPtr: number;
}

export interface Kernels {
  /** 'scalar', 'wasm-simd' or 'wasm-relaxed'. */
  readonly name: string;
  readonly memory: WebAssembly.Memory;

  /** Bytes a packed [rows, cols] weight takes in `format` (callers allocate `dstPtr`, 64-byte aligned). */
  packedSize(format: WeightFormat, rows: number, cols: number): number;
  /**
   * Pack a [rows, cols] matrix stored at srcPtr in `source` layout into `format` at dstPtr.
   * q8 from f32 quantizes like llama.cpp's Q8_0 (per 32: d = amax/127 rounded to f16, q = round(x/d));
   * q4 from f32 like Q4_0; q8_0 → q8 and q4_0 → q4 keep the blocks bit-exact (no requantization).
   * cols must be a multiple of 32 for q8/q4. Throws on an unsupported (source, format) pair.
   */
  pack(format: WeightFormat, source: PackSource, srcPtr: number, rows: number, cols: number, dstPtr: number): PackedWeight;

  /**
   * y[T, N] = x[T, K] · Wᵀ, x and y f32. q8/q4 quantize x per 32 to Q8_0 first (as ggml does);
   * f16 rounds x to f16. T = 1 is GEMV (generation), T > 1 the blocked GEMM (prefill).
   */
  matmul(w: PackedWeight, xPtr: number, yPtr: number, nTokens: number): void;
  /**
   * y_i = matmul(ws[i], x) for matrices sharing x (a layer's q, k, v; gate and up): the same values
   * as separate calls, with the activations prepared once and one split over the threads.
   */
  matmulMany(ws: readonly PackedWeight[], xPtr: number, yPtrs: readonly number[], nTokens: number): void;
  /** out[T, K] = rows ids[t] of w, dequantized to f32. ids: [T] i32. */
  embed(w: PackedWeight, idsPtr: number, nTokens: number, outPtr: number): void;

  /** out[T, dim] = x / sqrt(mean(x²) + eps) * weight (weightPtr = 0: no weight). out may equal x. */
  rmsnorm(xPtr: number, weightPtr: number, outPtr: number, nTokens: number, dim: number, eps: number): void;
  rope(p: RopeParams): void;
  /** Write src [T, rowDim] f32 into cache rows [row0, row0 + T) of a [C, rowDim] cache in kvType. */
  kvStore(srcPtr: number, nTokens: number, rowDim: number, cachePtr: number, kvType: KVType, row0: number): void;
  /**
   * Causal attention of a batch against the cache (which already holds the batch's own K/V).
   * NUMERICS (parity with llama.cpp, whose CPU path is flash attention): with an f16 cache, q is
   * rounded to f16, keys are visited in order lo..pos with an online softmax (running max M and
   * sum S in f32), and the V accumulator is rounded to f16 after every rescale and every
   * multiply-add — see ScalarKernels.attendF16. Without this, logits drift ~1e-3 from llama.cpp's
   * on stories260K; with it they agree to ~5e-5. Where llama.cpp takes its tiled path instead
   * (usesTiledAttention: ≥ 64 tokens, head dim a multiple of 16) so do we: f32 q, f32
   * accumulator, one online-softmax step per 64-key tile aligned to cache row 0 — see
   * ScalarKernels.attendTiled. With an f32 cache: plain f32 softmax attention.
   */
  attention(p: AttentionParams): void;
  /**
   * For each segment: kvStore of its rows of k / v at cache rows [pos0, pos0 + n), then attention
   * of its q rows against its own cache — exactly those calls, segment by segment (same numerics,
   * the tiled-or-per-key choice made per segment), so a sequence's result does not depend on what
   * it is batched with. The WASM backend does all segments in one call per layer (batched decode).
   */
  storeAndAttend(p: SegmentAttentionParams): void;
  /**
   * Optional (the sampler falls back to JS without it): the k highest of scores [n] f32 (any
   * Float32Array: the WASM backend copies it in), best first — higher logit, ties to the lower
   * id; -Infinity and NaN never enter — into ids / logits (length ≥ k); returns how many
   * (min(k, allowed)). Used by Sampler for top-k, in place of a JS heap pass over the vocabulary.
   */
  topK?(scores: Float32Array, k: number, ids: Int32Array, logits: Float32Array): number;
  /** out[n] = silu(gate) * up */
  swiglu(gatePtr: number, upPtr: number, outPtr: number, n: number): void;
  /** out[n] = gelu_tanh(gate) * up, gelu as llama.cpp's CPU table (see src/kernels/gelu-table.ts) */
  geglu(gatePtr: number, upPtr: number, outPtr: number, n: number): void;
  /** out[n] = a + b (out may alias a) */
  add(aPtr: number, bPtr: number, outPtr: number, n: number): void;
  /** x[T, dim] += bias[dim] */
  addBias(xPtr: number, biasPtr: number, nTokens: number, dim: number): void;
  /** x[n] *= s */
  scale(xPtr: number, n: number, s: number): void;
  /** x[n] = cap * tanh(x / cap) */
  softcap(xPtr: number, n: number, cap: number): void;

  /** Optional: a burst of ops starts (true) or ends (false) — threads stay hot in between. */
  burst?(on: boolean): void;
  /** Optional: run every op on the calling thread only (true) or split over the pool (false). */
  serial?(on: boolean): void;
  /** Threads the backend uses (1 for the scalar oracle). */
  readonly threads?: number;

  /** Release threads (the memory itself belongs to the caller). */
  dispose(): Promise<void>;
}
