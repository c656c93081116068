// Importing this module registers every built-in architecture.
import './llama.js';
import './mistral3.js';
import './qwen2.js';
import './qwen3.js';
import './phi3.js';
import './gemma.js';

export { getArchitecture, registerArchitecture, supportedArchitectures, UnknownArchitectureError } from './registry.js';
export type { ArchSpec } from './registry.js';
export type { ModelConfig } from './config.js';
export { readBaseConfig, UnsupportedModelError } from './hparams.js';
