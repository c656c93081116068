// Compiles an AssemblyScript fixture under test/runtime/fixtures/ with the flags scripts/build-kernels.js
// uses, caching the .wasm in the OS temp dir by a hash of source + flags (asc takes ~2 s per run).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** dist/test/runtime/compile-fixture.js → repo root */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const KERNEL_FLAGS = [
  '--runtime', 'stub', '--noAssert', '-O3', '--importMemory', '--sharedMemory',
  '--initialMemory', '64', '--maximumMemory', '65536', '--memoryBase', '1024',
  '--enable', 'simd', '--enable', 'threads',
];

export type Fixture = 'rows' | 'relaxed';

/** Path of the compiled fixture (compiling it if the cache misses). */
export async function compileFixture(name: Fixture): Promise<string> {
  const source = join(REPO_ROOT, 'test', 'runtime', 'fixtures', `${name}.ts`);
  const flags = name === 'relaxed' ? [...KERNEL_FLAGS, '--enable', 'relaxed-simd'] : KERNEL_FLAGS;
  const hash = createHash('sha256').update(readFileSync(source)).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'tsllama-test-fixtures');
  const out = join(dir, `${name}-${hash}.wasm`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  // Compile to a private name, then rename: test files run in parallel processes.
  const partial = `${out}.${process.pid}.tmp`;
  await promisify(execFile)(join(REPO_ROOT, 'node_modules', '.bin', 'asc'), [source, ...flags, '--outFile', partial]);
  renameSync(partial, out);
  return out;
}

export async function fixtureBytes(name: Fixture): Promise<Uint8Array> {
  return readFileSync(await compileFixture(name));
}
