// Bad input gives a clear one-line error naming the problem — from the library and from the CLI
// (non-zero exit, no stack trace) — never a crash deep in a kernel or a hang.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/index.js';
import { kv as kvb, writeGGUF } from '../../src/gguf/writer.js';
import { buildSynthModel } from '../../src/synth/synthesize.js';
import { needData, REPO_ROOT } from '../helpers/data.js';

let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'tsllama-errors-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI; returns exit code and stderr. */
function cli(...args: string[]): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'tsllama.js'), ...args], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, TSLLAMA_DEBUG: '', TSLLAMA_THREADS: '1' },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function assertCleanCliError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'non-zero exit');
  assert.notEqual(r.code, null, 'exited (no hang or signal)');
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('tsllama: error:'));
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** Writes the tiny synthetic llama with some metadata replaced. */
function writeTiny(name: string, patch: (kvs: ReturnType<typeof buildSynthModel>['kvs']) => void = () => {}): string {
  const m = buildSynthModel({ preset: 'tiny', seed: 3, type: 'f32' });
  patch(m.kvs);
  const path = join(dir, name);
  writeGGUF(path, m.kvs, m.tensors);
  return path;
}

/** Offset of a tensor info's dims in a GGUF header (after its name string and n_dims). */
function tensorInfoOffset(bytes: Buffer, name: string): number {
  const key = Buffer.from(name);
  for (let i = 0; i < bytes.length - key.length; i++) {
    if (bytes.readBigUInt64LE(i) === BigInt(key.length) && bytes.subarray(i + 8, i + 8 + key.length).equals(key)) {
      return i + 8 + key.length;
    }
  }
  throw new Error(`tensor info ${name} not found`);
}

describe('bad input', () => {
  test('missing file', async () => {
    await assert.rejects(loadModel(join(dir, 'nope.gguf')), /model file not found/);
    assertCleanCliError(cli('run', join(dir, 'nope.gguf'), 'hi'), /not found/);
  });

  test('not a GGUF file (wrong magic)', async () => {
    const p = join(dir, 'text.gguf');
    writeFileSync(p, 'hello, this is not a model\n');
    await assert.rejects(loadModel(p), /not a GGUF file/);
    assertCleanCliError(cli('run', p, 'hi'), /not a GGUF file/);
  });

  test('truncated header and truncated tensor data', async (t) => {
    const paths = needData(t, 'models/stories260K.gguf');
    if (!paths) return;
    const full = readFileSync(paths[0]);
    for (const cut of [10, 300, 20_000, Math.floor(full.length / 2), full.length - 1]) {
      const p = join(dir, `cut-${cut}.gguf`);
      writeFileSync(p, full.subarray(0, cut));
      await assert.rejects(loadModel(p, { backend: 'scalar' }), /truncated|corrupt/, `cut at ${cut}`);
    }
    assertCleanCliError(cli('run', join(dir, `cut-${Math.floor(full.length / 2)}.gguf`), 'hi'), /truncated|past the end/);
  });

  test('GGUF version 1 is refused', async (t) => {
    const paths = needData(t, 'models/legacy/tinyllamas-stories-260k-f32.gguf');
    if (!paths) return;
    await assert.rejects(loadModel(paths[0]), /version 1 is not supported/);
    assertCleanCliError(cli('info', paths[0]), /version 1/);
  });

  test('unknown architecture lists the supported ones', async () => {
    const p = writeTiny('arch.gguf', (kvs) => {
      const i = kvs.findIndex((k) => k.key === 'general.architecture');
      kvs[i] = kvb.string('general.architecture', 'frobnicator');
    });
    await assert.rejects(loadModel(p, { backend: 'scalar' }), /unknown architecture "frobnicator"; supported: .*llama/);
    assertCleanCliError(cli('run', p, 'hi'), /unknown architecture "frobnicator"/);
  });

  test('unsupported tensor type is named', async () => {
    const p = writeTiny('type.gguf');
    const bytes = readFileSync(p);
    const o = tensorInfoOffset(bytes, 'output_norm.weight'); // n_dims u32, dims u64[n], type u32
    const nDims = bytes.readUInt32LE(o);
    bytes.writeUInt32LE(16, o + 4 + 8 * nDims); // IQ2_XXS
    writeFileSync(p, bytes);
    await assert.rejects(loadModel(p, { backend: 'scalar' }), /output_norm\.weight has type IQ2_XXS/);
    assertCleanCliError(cli('run', p, 'hi'), /IQ2_XXS/);
  });

  test('a model too large for 4 GiB of WASM memory says how much it needs', async () => {
    const p = writeTiny('huge.gguf');
    const bytes = readFileSync(p);
    const o = tensorInfoOffset(bytes, 'token_embd.weight');
    const huge = 80_000_000; // rows of 64 f32 → 20 GB of weights
    bytes.writeBigUInt64LE(BigInt(huge), o + 4 + 8);
    writeFileSync(p, bytes);
    // Extend the file (sparse: no disk used) so the tensor lies inside it.
    const fd = openSync(p, 'r+');
    closeSync(fd);
    truncateSync(p, bytes.length + huge * 64 * 4 + 4096);
    await assert.rejects(loadModel(p, { backend: 'scalar', quant: 'q8' }), (e: Error) => {
      assert.match(e.message, /too large for WASM's 4 GiB memory/);
      assert.match(e.message, /weights [\d.]+ MiB \(q8\) \+ KV cache/);
      assert.match(e.message, /> 4096 MiB/);
      return true;
    });
    assertCleanCliError(cli('run', p, 'hi'), /too large for WASM's 4 GiB memory/);
  });

  test('a prompt longer than the context', async (t) => {
    const paths = needData(t, 'models/stories260K.gguf');
    if (!paths) return;
    const model = await loadModel(paths[0], { backend: 'scalar', contextLength: 8 });
    try {
      const s = model.createSession();
      assert.throws(() => s.eval(model.encode('Once upon a time there was a big dog and a cat')), /prompt does not fit the context: \d+ tokens needed, context is 8/);
      assert.throws(() => s.eval([99999]), /token id 99999 out of range/);
    } finally {
      await model.dispose();
    }
    assertCleanCliError(cli('run', paths[0], 'Once upon a time there was a big dog and a cat', '--ctx', '8'), /does not fit the context/);
  });

  test('bad CLI options', () => {
    assertCleanCliError(cli('run', '/dev/null', 'hi', '--quant', 'q3'), /unknown quant mode "q3"/);
    assertCleanCliError(cli('run', '/dev/null', 'hi', '--threads', 'x'), /--threads needs a number/);
    assertCleanCliError(cli('run', '/dev/null', 'hi', '--kv-type', 'f8'), /--kv-type: unknown KV cache type "f8" \(expected f16 or f32\)/);
    assertCleanCliError(cli('frobnicate'), /unknown command/);
  });
});
