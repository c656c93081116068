// The llama family (Llama 1/2/3, SmolLM2, Mistral-style files that say "llama") and the shared
// reader of `<arch>.*` hyper-parameters that the other families start from.
import { metaNumber } from '../gguf/reader.js';
import type { GGUFFile } from '../gguf/types.js';
import { GGUFError } from '../gguf/types.js';
import type { ModelConfig } from './config.js';
import { registerArchitecture } from './registry.js';

function optionalId(file: GGUFFile, key: string): number | null {
  const v = file.metadata.get(key);
  if (v === undefined) return null;
  const n = Number(v);
  return n >= 0 && n < 0xffffffff ? n : null;
}

/** Hyper-parameters common to llama-like families, read from `<arch>.*` keys. */
export function readBaseConfig(file: GGUFFile, arch: string): ModelConfig {
  const k = (s: string) => `${arch}.${s}`;
  const dim = metaNumber(file, k('embedding_length'));
  const nHeads = metaNumber(file, k('attention.head_count'));
  const nKvHeads = metaNumber(file, k('attention.head_count_kv'), nHeads);
  const headDim = metaNumber(file, k('attention.key_length'), dim / nHeads);
  if (!Number.isInteger(headDim) || nHeads % nKvHeads !== 0) {
    throw new GGUFError(`${file.path}: inconsistent attention shape: ${nHeads} heads, ${nKvHeads} KV heads, width ${dim}`);
  }
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  const nVocab = metaNumber(file, k('vocab_size'), Array.isArray(tokens) ? tokens.length : 0);
  const hasOutput = file.tensors.some((t) => t.name === 'output.weight');
  const scalingType = file.metadata.get(k('rope.scaling.type'));
  const scalingFactor = metaNumber(file, k('rope.scaling.factor'), 1);
  const ropeFreqScale = scalingType === 'linear' && scalingFactor > 0 ? 1 / scalingFactor : 1;
  const ropeBase = metaNumber(file, k('rope.freq_base'), 10000);
  return {
    architecture: arch,
    nVocab,
    nCtxTrain: metaNumber(file, k('context_length'), 2048),
    dim,
    nLayers: metaNumber(file, k('block_count')),
    nHeads,
    nKvHeads,
    headDim,
    headDimV: metaNumber(file, k('attention.value_length'), headDim),
    ffnDim: metaNumber(file, k('feed_forward_length')),
    normEps: metaNumber(file, k('attention.layer_norm_rms_epsilon'), 1e-5),
    ropeBase,
    ropeDim: metaNumber(file, k('rope.dimension_count'), headDim),
    ropeStyle: 'normal',
    ropeFreqScale,
    ffnActivation: 'silu',
    tiedEmbeddings: !hasOutput,
    qkvBias: false,
    qkNorm: false,
    postNorms: false,
    embedScale: 1,
    attnScale: 1 / Math.sqrt(headDim),
    attnSoftcap: 0,
    finalSoftcap: 0,
    slidingWindow: 0,
    isSwaLayer: () => false,
    ropeBaseSwa: ropeBase,
    bosId: optionalId(file, 'tokenizer.ggml.bos_token_id'),
    eosId: optionalId(file, 'tokenizer.ggml.eos_token_id'),
  };
}

registerArchitecture({ name: 'llama', readConfig: (f) => readBaseConfig(f, 'llama') });
