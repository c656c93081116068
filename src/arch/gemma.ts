// The Gemma families. Common to all three (llama.cpp src/models/gemma*.cpp): embeddings scaled by
// sqrt(dim), NeoX rope, GeGLU FFN (tanh GELU), q multiplied by the attention scale before
// attention. GGUF norm weights already include Gemma's "+1" (the converter adds it), so they are
// used as stored.
//   gemma:  output tied to the embedding (output.weight is never read).
//   gemma2: + post-attention / post-FFN norms, attention soft-cap (default 50) and final soft-cap
//           (default 30), sliding window (default 4096) on every other layer; output tied.
//   gemma3: + per-head q/k RMSNorm; sliding window (when attention.sliding_window is set) on 5 of
//           every 6 layers, whose rope has base rope.freq_base_swa (default 10000) and no scaling;
//           optional final soft-cap; no attention soft-cap.
// Attention scale of gemma2/3: 1/sqrt(head size), except the 27B models (by layer count, as
// llama.cpp decides it), which use 1/sqrt(dim / heads) (query_pre_attn_scalar).
import type { GGUFFile } from '../gguf/types.js';
import type { ModelConfig } from './config.js';
import { f32, invSqrtF32, optionalNumber, readBaseConfig, readSwaPeriod, swaEveryNth } from './hparams.js';
import { registerArchitecture } from './registry.js';

function gemmaBase(file: GGUFFile, arch: string): ModelConfig {
  const cfg = readBaseConfig(file, arch);
  return {
    ...cfg,
    embedScale: f32(Math.sqrt(cfg.dim)),
    ropeStyle: 'neox',
    ffnActivation: 'gelu',
    attnScaleOnQuery: true,
  };
}

/** llama.cpp's f_attention_scale for gemma2/3: the 27B models scale by n_embd / n_head. */
function queryScale(cfg: ModelConfig, layers27B: number): number {
  return cfg.nLayers === layers27B ? invSqrtF32(Math.floor(cfg.dim / cfg.nHeads)) : invSqrtF32(cfg.headDim);
}

registerArchitecture({
  name: 'gemma',
  readConfig(file) {
    const cfg = gemmaBase(file, 'gemma');
    return { ...cfg, tiedEmbeddings: true, attnScale: invSqrtF32(cfg.headDimV) };
  },
});

registerArchitecture({
  name: 'gemma2',
  readConfig(file) {
    const cfg = gemmaBase(file, 'gemma2');
    const period = readSwaPeriod(file, 'gemma2', 2);
    return {
      ...cfg,
      tiedEmbeddings: true,
      postNorms: true,
      attnScale: queryScale(cfg, 46),
      attnSoftcap: optionalNumber(file, 'gemma2.attn_logit_softcapping') ?? 50,
      finalSoftcap: optionalNumber(file, 'gemma2.final_logit_softcapping') ?? 30,
      slidingWindow: optionalNumber(file, 'gemma2.attention.sliding_window') ?? 4096,
      isSwaLayer: swaEveryNth(period),
      ropeBaseSwa: optionalNumber(file, 'gemma2.rope.freq_base_swa') ?? cfg.ropeBase,
    };
  },
});

registerArchitecture({
  name: 'gemma3',
  readConfig(file) {
    const cfg = gemmaBase(file, 'gemma3');
    const window = optionalNumber(file, 'gemma3.attention.sliding_window') ?? 0;
    const swa = window > 0
      ? {
        slidingWindow: window,
        isSwaLayer: swaEveryNth(readSwaPeriod(file, 'gemma3', 6)),
        ropeBaseSwa: optionalNumber(file, 'gemma3.rope.freq_base_swa') ?? 10000,
        ropeFreqScaleSwa: 1,
      }
      : {};
    return {
      ...cfg,
      ...swa,
      qkNorm: true,
      postNorms: true,
      attnScale: queryScale(cfg, 62),
      finalSoftcap: optionalNumber(file, 'gemma3.final_logit_softcapping') ?? 0,
    };
  },
});
