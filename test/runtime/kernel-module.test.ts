import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSharedMemory } from '../../src/runtime/memory.js';
import {
  instantiateKernels, kernelModuleFromBytes, loadKernelModule, relaxedSimdAvailable,
} from '../../src/runtime/kernel-module.js';
import { compileFixture, fixtureBytes } from './compile-fixture.js';

function withSimdEnv(value: string | undefined, fn: () => void): void {
  const saved = process.env.TSLLAMA_SIMD;
  if (value === undefined) delete process.env.TSLLAMA_SIMD;
  else process.env.TSLLAMA_SIMD = value;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.TSLLAMA_SIMD;
    else process.env.TSLLAMA_SIMD = saved;
  }
}

test('Node 20 compiles relaxed SIMD (behind a V8 flag set at runtime)', () => {
  assert.equal(relaxedSimdAvailable(), true);
});

test('loadKernelModule picks the relaxed build when available, caches it, and simd when forced', () => {
  withSimdEnv(undefined, () => {
    const relaxed = loadKernelModule();
    assert.equal(relaxed.variant, 'relaxed');
    assert.match(relaxed.path, /build[/\\]kernels-relaxed\.wasm$/);
    assert.equal(loadKernelModule(), relaxed, 'second load comes from the cache');

    const plain = loadKernelModule({ prefer: 'simd' });
    assert.equal(plain.variant, 'simd');
    assert.match(plain.path, /build[/\\]kernels-simd\.wasm$/);
    assert.notEqual(plain.module, relaxed.module);
  });
  withSimdEnv('plain', () => assert.equal(loadKernelModule().variant, 'simd'));
  withSimdEnv('nonsense', () => assert.throws(() => loadKernelModule(), /TSLLAMA_SIMD must be/));
});

test('kernelModuleFromBytes rejects bytes that are not a module', () => {
  assert.throws(() => kernelModuleFromBytes(new Uint8Array([1, 2, 3]), 'simd', 'junk.wasm'), /cannot compile kernel module junk\.wasm/);
});

test('instantiateKernels: env.abort decodes the message, traps surface as RuntimeError', async () => {
  const km = kernelModuleFromBytes(await fixtureBytes('rows'), 'simd');
  const exports = instantiateKernels(km, createSharedMemory()).exports as Record<string, (...a: number[]) => void>;
  assert.throws(() => exports.abort_from(5, 5, 6), /^Error: kernel abort: row range rejected$/);
  exports.abort_from(5, 0, 5); // below `from`: no abort
  assert.throws(() => exports.trap_from(0, 0, 1), WebAssembly.RuntimeError);
});

test('instantiateKernels supplies unknown function imports as functions that throw naming the import', () => {
  // (import "env" "mystery" (func)) (func (export "call_mystery") call 0)
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x07, 0x6d, 0x79, 0x73, 0x74, 0x65, 0x72, 0x79, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x10, 0x01, 0x0c, ...new TextEncoder().encode('call_mystery'), 0x00, 0x01,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,
  ]);
  const km = kernelModuleFromBytes(bytes, 'simd');
  const instance = instantiateKernels(km, createSharedMemory());
  assert.throws(() => (instance.exports.call_mystery as () => void)(), /kernel called import env\.mystery/);
});

test('instantiateKernels names the module when the memory is too small for it', async () => {
  const km = kernelModuleFromBytes(await fixtureBytes('rows'), 'simd', 'rows.wasm');
  const tiny = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  assert.throws(() => instantiateKernels(km, tiny), /cannot instantiate kernel module rows\.wasm/);
});

test('a fresh process compiles a relaxed-SIMD module and runs it on pool workers', async () => {
  const wasm = await compileFixture('relaxed');
  const url = (p: string) => new URL(p, import.meta.url).href;
  // Runs in a child so the V8 flag starts unset: validate() must fail there before the loader sets it.
  const script = `
    import { readFileSync } from 'node:fs';
    import { kernelModuleFromBytes } from ${JSON.stringify(url('../../src/runtime/kernel-module.js'))};
    import { createSharedMemory } from ${JSON.stringify(url('../../src/runtime/memory.js'))};
    import { WorkerPool } from ${JSON.stringify(url('../../src/runtime/pool.js'))};
    const bytes = readFileSync(${JSON.stringify(wasm)});
    const before = WebAssembly.validate(bytes);
    const km = kernelModuleFromBytes(bytes, 'relaxed');
    const memory = createSharedMemory();
    const pool = await WorkerPool.create({ memory, kernels: km, threads: 3 });
    const out = 2 << 20, n = 90;
    pool.run('relaxed_rows', [out], n);
    const f32 = new Float32Array(memory.buffer, out, n);
    let wrong = 0;
    for (let r = 0; r < n; r++) if (f32[r] !== 4 * (r * r + 1)) wrong++;
    await pool.dispose();
    console.log(JSON.stringify({ before, wrong }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { before: false, wrong: 0 });
});
