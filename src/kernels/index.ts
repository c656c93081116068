// Entry point of the kernel layer: pick a backend behind the Kernels interface.
import type { Arena } from '../runtime/memory.js';
import { defaultThreadCount } from '../runtime/threads.js';
import { ScalarKernels } from './scalar/index.js';
import type { Kernels } from './types.js';
import { WasmKernels } from './wasm/backend.js';

export * from './types.js';
export { ScalarKernels, WasmKernels };

export interface CreateKernelsOptions {
  /** 'wasm' (default): SIMD kernels on the thread pool; 'scalar': the plain-TS oracle (tests only, slow). */
  backend?: 'wasm' | 'scalar';
  memory: WebAssembly.Memory;
  /** Where the WASM backend carves its scratch regions. */
  arena: Arena;
  /** Threads including the caller; default defaultThreadCount() (TSLLAMA_THREADS or all cores). */
  threads?: number;
  /** 'simd' forces the plain SIMD128 build; default relaxed SIMD when available. */
  prefer?: 'simd' | 'relaxed';
  fastMath?: boolean;
}

export async function createKernels(opts: CreateKernelsOptions): Promise<Kernels> {
  const backend = opts.backend ?? 'wasm';
  if (backend === 'scalar') return new ScalarKernels(opts.memory);
  if (backend !== 'wasm') throw new Error(`unknown kernel backend '${backend as string}' (expected 'wasm' or 'scalar')`);
  return WasmKernels.create({
    memory: opts.memory,
    arena: opts.arena,
    threads: opts.threads ?? defaultThreadCount(),
    prefer: opts.prefer,
    fastMath: opts.fastMath,
  });
}
