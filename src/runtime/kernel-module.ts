// Loads the compiled AssemblyScript kernels (build/kernels-{simd,relaxed}.wasm) and instantiates
// them over the shared memory. The compiled WebAssembly.Module is what the pool sends to workers.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

export type KernelVariant = 'simd' | 'relaxed';

export interface KernelModule {
  module: WebAssembly.Module;
  variant: KernelVariant;
  /** File it was compiled from ('<bytes>' for modules built from bytes). */
  path: string;
}

// (func (param v128 v128) (result v128) local.get 0 local.get 1 i8x16.relaxed_swizzle):
// validates only where relaxed SIMD is enabled.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0xfd, 0x80, 0x02, 0x0b, // code: relaxed_swizzle
]);

let relaxedSupport: boolean | undefined;

/**
 * True when this V8 compiles relaxed SIMD. Node 20 (V8 11.3) has it behind a flag; setting it at
 * runtime works because V8 reads wasm feature flags per compile, and flags are process-wide, so
 * worker threads see it too.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSupport !== undefined) return relaxedSupport;
  if (!WebAssembly.validate(RELAXED_SIMD_PROBE)) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // An engine without the flag: the probe below decides.
    }
  }
  relaxedSupport = WebAssembly.validate(RELAXED_SIMD_PROBE);
  return relaxedSupport;
}

const KERNEL_FILES: Record<KernelVariant, string> = {
  simd: 'kernels-simd.wasm',
  relaxed: 'kernels-relaxed.wasm',
};

/** dist/src/runtime/kernel-module.js → <repo>/build/ */
const BUILD_DIR = new URL('../../../build/', import.meta.url);

const compiled = new Map<KernelVariant, KernelModule>();

/** TSLLAMA_SIMD: unset/'auto' (relaxed when available), 'plain' (SIMD128 only), 'relaxed' (required). */
function simdPreferenceFromEnv(): 'auto' | 'plain' | 'relaxed' {
  const raw = (process.env.TSLLAMA_SIMD ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'auto') return 'auto';
  if (raw === 'plain' || raw === 'relaxed') return raw;
  throw new Error(`TSLLAMA_SIMD must be "plain", "relaxed" or "auto", got "${process.env.TSLLAMA_SIMD}"`);
}

/**
 * Compiles build/kernels-relaxed.wasm when relaxed SIMD is available, else build/kernels-simd.wasm.
 * `prefer: 'simd'` or TSLLAMA_SIMD=plain forces the plain build. Compiled modules are cached per variant.
 */
export function loadKernelModule(opts: { prefer?: KernelVariant } = {}): KernelModule {
  const env = simdPreferenceFromEnv();
  let variant: KernelVariant;
  if (opts.prefer === 'simd' || env === 'plain') {
    variant = 'simd';
  } else if (relaxedSimdAvailable()) {
    variant = 'relaxed';
  } else if (env === 'relaxed') {
    throw new Error('TSLLAMA_SIMD=relaxed, but this Node/V8 cannot compile relaxed SIMD');
  } else {
    variant = 'simd';
  }
  const cached = compiled.get(variant);
  if (cached) return cached;

  const path = fileURLToPath(new URL(KERNEL_FILES[variant], BUILD_DIR));
  if (!existsSync(path)) throw new Error(`kernel build ${path} is missing: run npm run build`);
  const km = kernelModuleFromBytes(readFileSync(path), variant, path);
  compiled.set(variant, km);
  return km;
}

/** Compiles kernel bytes (any module importing a shared env.memory) into a KernelModule. Tests use it with fixtures. */
export function kernelModuleFromBytes(bytes: Uint8Array, variant: KernelVariant, path = '<bytes>'): KernelModule {
  if (variant === 'relaxed' && !relaxedSimdAvailable()) {
    throw new Error(`cannot compile ${path}: this Node/V8 has no relaxed SIMD; use the 'simd' build`);
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new Error(`cannot compile kernel module ${path}: ${(e as Error).message}`, { cause: e });
  }
  return { module, variant, path };
}

/**
 * Synchronously instantiates the kernels over `memory`, supplying every import the module declares:
 * env.memory, env.abort (throws with the AssemblyScript message), anything else a function that throws.
 */
export function instantiateKernels(km: KernelModule, memory: WebAssembly.Memory): WebAssembly.Instance {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(km.module)) {
    const ns = (imports[imp.module] ??= {});
    if (imp.module === 'env' && imp.name === 'memory' && imp.kind === 'memory') {
      ns[imp.name] = memory;
    } else if (imp.module === 'env' && imp.name === 'abort' && imp.kind === 'function') {
      ns[imp.name] = (msg: number, file: number, line: number, col: number) => {
        throw new Error(`kernel abort: ${describeAbort(memory, msg, file, line, col)}`);
      };
    } else if (imp.kind === 'function') {
      const name = `${imp.module}.${imp.name}`;
      ns[imp.name] = () => {
        throw new Error(`kernel called import ${name}, which tsllama does not provide`);
      };
    } else {
      throw new Error(`kernel module ${km.path} imports ${imp.kind} ${imp.module}.${imp.name}, which tsllama does not provide`);
    }
  }
  try {
    return new WebAssembly.Instance(km.module, imports);
  } catch (e) {
    throw new Error(`cannot instantiate kernel module ${km.path}: ${(e as Error).message}`, { cause: e });
  }
}

/** "message at file:line:col" from AssemblyScript abort(msg, file, line, col) string pointers. */
function describeAbort(memory: WebAssembly.Memory, msg: number, file: number, line: number, col: number): string {
  const text = readAscString(memory, msg) ?? '(no message)';
  const where = readAscString(memory, file);
  return where ? `${text} at ${where}:${line}:${col}` : text;
}

/**
 * Reads an AssemblyScript string: UTF-16LE code units at ptr, byte length in the object header at ptr - 4.
 * Returns undefined for a null or implausible pointer (decoding an error message must never throw).
 */
export function readAscString(memory: WebAssembly.Memory, ptr: number): string | undefined {
  ptr >>>= 0;
  const bytes = new Uint8Array(memory.buffer);
  if (ptr < 4 || ptr % 2 !== 0 || ptr > bytes.length) return undefined;
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  if (len % 2 !== 0 || len > 64 * 1024 || ptr + len > bytes.length) return undefined;
  // Copy out of the shared buffer first: decoders reject SharedArrayBuffer views.
  const units = new Uint16Array(bytes.slice(ptr, ptr + len).buffer);
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.subarray(i, i + 4096));
  return s;
}
