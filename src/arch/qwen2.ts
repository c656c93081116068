// qwen2 (Qwen2, Qwen2.5): llama with biases on q, k, v and NeoX rope. llama.cpp: src/models/qwen2.cpp.
import { UnsupportedModelError, readBaseConfig } from './hparams.js';
import { assertFullRotary } from './llama.js';
import { registerArchitecture } from './registry.js';

registerArchitecture({
  name: 'qwen2',
  readConfig(file) {
    if (file.tensors.some((t) => t.name === 'output.bias')) throw new UnsupportedModelError(`${file.path}: an output bias (output.bias) is not supported`);
    const cfg = assertFullRotary(file, readBaseConfig(file, 'qwen2'));
    return { ...cfg, ropeStyle: 'neox', qkvBias: true };
  },
});
