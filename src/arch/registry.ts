// Architecture registry keyed by general.architecture. An architecture is data: a function that
// reads its config from GGUF metadata and the tensor names its blocks use. Registering a new
// family must not touch the engine (see docs/adding-an-architecture.md).
import type { GGUFFile } from '../gguf/types.js';
import type { ModelConfig } from './config.js';

export interface ArchSpec {
  name: string;
  /**
   * Read the config; throw a clear error for missing or unsupported metadata. Entries built on
   * readBaseConfig also replace fused tensors in `file.tensors` by views under the standard names
   * (src/arch/fused-tensors.ts), so call it before the weights are loaded.
   */
  readConfig(file: GGUFFile): ModelConfig;
}

export class UnknownArchitectureError extends Error {
  constructor(arch: string, path: string) {
    super(`${path}: unknown architecture "${arch}"; supported: ${supportedArchitectures().join(', ')}`);
    this.name = 'UnknownArchitectureError';
  }
}

const registry = new Map<string, ArchSpec>();

export function registerArchitecture(spec: ArchSpec): void {
  registry.set(spec.name, spec);
}

export function supportedArchitectures(): string[] {
  return [...registry.keys()].sort();
}

export function getArchitecture(name: string, path = 'model'): ArchSpec {
  const spec = registry.get(name);
  if (!spec) throw new UnknownArchitectureError(name, path);
  return spec;
}
