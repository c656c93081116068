// phi3 (Phi-3, Phi-3.5, Phi-4-mini): q, k, v fused in attn_qkv and gate + up fused in ffn_up
// (split at load, see fused-tensors.ts), NeoX rope, possibly partial (rope.dimension_count < head
// size), q scaled before attention. LongRoPE's rope_factors_short are used; llama.cpp switches to
// rope_factors_long only for contexts beyond rope.scaling.original_context_length.
// Sliding window: llama.cpp disables it for phi3 ("Phi SWA is currently disabled"), so we do too.
// llama.cpp: src/models/phi3.cpp.
import { UnsupportedModelError, readBaseConfig } from './hparams.js';
import { registerArchitecture } from './registry.js';

registerArchitecture({
  name: 'phi3',
  readConfig(file) {
    if (file.tensors.some((t) => t.name === 'output.bias')) throw new UnsupportedModelError(`${file.path}: an output bias (output.bias) is not supported`);
    const cfg = readBaseConfig(file, 'phi3');
    if (cfg.headDim !== cfg.headDimV) throw new UnsupportedModelError(`${file.path}: phi3 with different key and value head sizes is not supported`);
    return {
      ...cfg,
      ropeStyle: 'neox',
      ropeFreqsTensor: 'rope_factors_short.weight',
      attnScaleOnQuery: true,
    };
  },
});
