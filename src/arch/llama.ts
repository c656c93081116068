// The llama family: Llama 1/2/3 (Llama 3's rope scaling arrives precomputed as rope_freqs.weight),
// SmolLM2, and Mistral-style files that say "llama". llama.cpp: src/models/llama.cpp.
import type { GGUFFile } from '../gguf/types.js';
import { GGUFError } from '../gguf/types.js';
import type { ModelConfig } from './config.js';
import { readBaseConfig } from './hparams.js';
import { registerArchitecture } from './registry.js';

/** llama.cpp's llama graph requires the whole head to be rotated and equal K/V head sizes. */
export function assertFullRotary(file: GGUFFile, cfg: ModelConfig): ModelConfig {
  if (cfg.ropeDim !== cfg.headDim) throw new GGUFError(`${file.path}: invalid rope.dimension_count ${cfg.ropeDim}, expected the head size ${cfg.headDim}`);
  if (cfg.headDimV !== cfg.headDim) throw new GGUFError(`${file.path}: key head size ${cfg.headDim} differs from value head size ${cfg.headDimV}`);
  return cfg;
}

registerArchitecture({
  name: 'llama',
  readConfig: (file) => assertFullRotary(file, readBaseConfig(file, 'llama')),
});
