// qwen3 (dense Qwen3): llama with a per-head RMSNorm on q and k before rope, NeoX rope, no
// biases; the head size (attention.key_length) may differ from dim / heads.
// llama.cpp: src/models/qwen3.cpp.
import { readBaseConfig } from './hparams.js';
import { assertFullRotary } from './llama.js';
import { registerArchitecture } from './registry.js';

registerArchitecture({
  name: 'qwen3',
  readConfig(file) {
    const cfg = assertFullRotary(file, readBaseConfig(file, 'qwen3'));
    return { ...cfg, ropeStyle: 'neox', qkNorm: true };
  },
});
