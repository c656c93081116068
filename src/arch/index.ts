// Importing this module registers every built-in architecture.
import './llama.js';

export { getArchitecture, registerArchitecture, supportedArchitectures, UnknownArchitectureError } from './registry.js';
export type { ArchSpec } from './registry.js';
export type { ModelConfig } from './config.js';
