import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compileFixture } from './compile-fixture.js';

/** Runs a script that uses a pool in a fresh process; returns its exit status, output and wall time. */
function runChild(body: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `
    import { readFileSync } from 'node:fs';
    import { kernelModuleFromBytes } from ${url('../../src/runtime/kernel-module.js')};
    import { createSharedMemory } from ${url('../../src/runtime/memory.js')};
    import { WorkerPool } from ${url('../../src/runtime/pool.js')};
    ${body}
  `;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

test('after dispose() the process exits on its own, code after the await still runs', async () => {
  const wasm = JSON.stringify(await compileFixture('rows'));
  const r = runChild(`
    const memory = createSharedMemory();
    const pool = await WorkerPool.create({ memory, kernels: kernelModuleFromBytes(readFileSync(${wasm}), 'simd'), threads: 3 });
    pool.run('count_rows', [1 << 20], 100);
    await pool.dispose();
    console.log('after dispose');
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'after dispose');
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});

test('a pool that is never disposed does not keep the process alive', async () => {
  const wasm = JSON.stringify(await compileFixture('rows'));
  const r = runChild(`
    const memory = createSharedMemory();
    const pool = await WorkerPool.create({ memory, kernels: kernelModuleFromBytes(readFileSync(${wasm}), 'simd'), threads: 3 });
    pool.run('count_rows', [1 << 20], 100);
    console.log('done');
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done');
});
