// The `<arch>.*` hyper-parameters every llama-like family shares, read as llama.cpp's
// llama_model_base::load_hparams reads them (same keys, same defaults). Each family's entry starts
// from readBaseConfig and overrides the flags its llama.cpp graph sets.
import { metaNumber } from '../gguf/reader.js';
import type { GGUFFile } from '../gguf/types.js';
import { GGUFError } from '../gguf/types.js';
import type { ModelConfig } from './config.js';
import { exposeFusedTensors } from './fused-tensors.js';

/** A file whose architecture is known but which uses a feature tsllama does not implement. */
export class UnsupportedModelError extends GGUFError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

/** Round to f32, as llama.cpp computes its scalar hyper-parameters in float. */
export const f32 = Math.fround;

/** 1.0f / sqrtf(float(n)), exactly as llama.cpp computes attention scales. */
export function invSqrtF32(n: number): number {
  return f32(1 / f32(Math.sqrt(n)));
}

function optionalId(file: GGUFFile, key: string): number | null {
  const v = file.metadata.get(key);
  if (v === undefined) return null;
  const n = Number(v);
  return n >= 0 && n < 0xffffffff ? n : null;
}

/** An optional scalar key; arrays (per-layer values) are reported as unsupported. */
export function optionalNumber(file: GGUFFile, key: string): number | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) throw new UnsupportedModelError(`${file.path}: per-layer values for ${key} are not supported`);
  return metaNumber(file, key);
}

/**
 * Rope scaling as llama.cpp applies it: `rope.scaling.type` defaults to "linear" and the factor
 * (`rope.scaling.factor`, or the old `rope.scale_linear`) divides positions whatever the type,
 * except "none". YaRN's per-dimension interpolation is not implemented and is refused.
 */
function readRopeScaling(file: GGUFFile, arch: string): { freqScale: number; type: string } {
  const raw = file.metadata.get(`${arch}.rope.scaling.type`);
  const type = raw === undefined ? 'linear' : String(raw);
  const known = ['none', 'linear', 'yarn', 'longrope'];
  if (!known.includes(type)) throw new UnsupportedModelError(`${file.path}: unknown rope scaling type "${type}" (expected one of: ${known.join(', ')})`);
  if (type === 'yarn') throw new UnsupportedModelError(`${file.path}: YaRN rope scaling is not supported yet`);
  const factor = optionalNumber(file, `${arch}.rope.scaling.factor`) ?? optionalNumber(file, `${arch}.rope.scale_linear`) ?? 0;
  const freqScale = type === 'none' || factor === 0 ? 1 : f32(1 / factor);
  return { freqScale, type };
}

/** Hyper-parameters common to llama-like families, read from `<arch>.*` keys. */
export function readBaseConfig(file: GGUFFile, arch: string): ModelConfig {
  const k = (s: string) => `${arch}.${s}`;
  const experts = optionalNumber(file, k('expert_count')) ?? 0;
  if (experts > 0) throw new UnsupportedModelError(`${file.path}: mixture-of-experts models (${arch}.expert_count = ${experts}) are not supported`);
  const dim = metaNumber(file, k('embedding_length'));
  const nHeads = metaNumber(file, k('attention.head_count'));
  const nKvHeads = metaNumber(file, k('attention.head_count_kv'), nHeads);
  const headDim = metaNumber(file, k('attention.key_length'), Math.floor(dim / nHeads));
  if (!Number.isInteger(headDim) || headDim <= 0 || nKvHeads <= 0 || nHeads % nKvHeads !== 0) {
    throw new GGUFError(`${file.path}: inconsistent attention shape: ${nHeads} heads, ${nKvHeads} KV heads, width ${dim}`);
  }
  const headDimV = metaNumber(file, k('attention.value_length'), Math.floor(dim / nHeads));
  const ropeDim = metaNumber(file, k('rope.dimension_count'), headDim);
  if (ropeDim > headDim || ropeDim % 2 !== 0) throw new GGUFError(`${file.path}: rope.dimension_count ${ropeDim} does not fit head size ${headDim}`);
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  const nVocab = metaNumber(file, k('vocab_size'), Array.isArray(tokens) ? tokens.length : 0);
  const hasOutput = file.tensors.some((t) => t.name === 'output.weight');
  const rope = readRopeScaling(file, arch);
  // LongRoPE / YaRN "attention factor": llama.cpp multiplies cos and sin by it, which scales
  // both q and k on the rotated dims; with full rotary that is attnScale · factor².
  const ropeAttnFactor = optionalNumber(file, k('rope.scaling.attn_factor')) ?? 1;
  if (ropeAttnFactor !== 1 && ropeDim !== headDim) {
    throw new UnsupportedModelError(`${file.path}: rope.scaling.attn_factor with partial rotary (${ropeDim} of ${headDim} dims) is not supported`);
  }
  const ropeBase = metaNumber(file, k('rope.freq_base'), 10000);
  const cfg: ModelConfig = {
    architecture: arch,
    nVocab,
    nCtxTrain: metaNumber(file, k('context_length')),
    dim,
    nLayers: metaNumber(file, k('block_count')),
    nHeads,
    nKvHeads,
    headDim,
    headDimV,
    ffnDim: metaNumber(file, k('feed_forward_length')),
    normEps: metaNumber(file, k('attention.layer_norm_rms_epsilon')),
    ropeBase,
    ropeDim,
    ropeStyle: 'normal',
    ropeFreqScale: rope.freqScale,
    ropeFreqScaleSwa: rope.freqScale,
    ropeFreqsTensor: rope.type === 'longrope' ? 'rope_factors_short.weight' : 'rope_freqs.weight',
    ffnActivation: 'silu',
    tiedEmbeddings: !hasOutput,
    qkvBias: false,
    qkNorm: false,
    postNorms: false,
    embedScale: 1,
    attnScale: f32(invSqrtF32(headDim) * ropeAttnFactor * ropeAttnFactor),
    attnScaleOnQuery: false,
    attnSoftcap: 0,
    finalSoftcap: 0,
    slidingWindow: 0,
    isSwaLayer: () => false,
    ropeBaseSwa: ropeBase,
    bosId: optionalId(file, 'tokenizer.ggml.bos_token_id'),
    eosId: optionalId(file, 'tokenizer.ggml.eos_token_id'),
  };
  exposeFusedTensors(file, cfg);
  return cfg;
}

/** llama.cpp's set_swa_pattern(n): in each group of n layers, all but the last use the window (n = 0: all). */
export function swaEveryNth(n: number): (layer: number) => boolean {
  return (layer) => n === 0 || layer % n < n - 1;
}

/** The sliding-window period from `<arch>.attention.sliding_window_pattern`; arrays fall back (as llama.cpp). */
export function readSwaPeriod(file: GGUFFile, arch: string, fallback: number): number {
  const v = file.metadata.get(`${arch}.attention.sliding_window_pattern`);
  if (v === undefined || Array.isArray(v) || ArrayBuffer.isView(v)) return fallback;
  return metaNumber(file, `${arch}.attention.sliding_window_pattern`);
}
