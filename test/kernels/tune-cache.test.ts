// The tuner's cache: choices round-trip per machine key, unknown or corrupt entries are ignored,
// and `tsllama tune` measures, prints and saves a valid choice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_PREFILL_CHUNKS, getMatmulTuning, resetMatmulTuning } from '../../src/kernels/wasm/matmul.js';
import { applyCachedTuning, machineKey, readTuning, writeTuning } from '../../src/kernels/wasm/tune-cache.js';
import { REPO_ROOT } from '../helpers/data.js';

test('tune cache round-trips per machine key and ignores bad entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-tune-'));
  try {
    const path = join(dir, 'tune.json');
    const key = machineKey('wasm-relaxed', 2);
    assert.equal(readTuning(key, path), null, 'missing file');
    writeTuning(key, { tokenBlock: 16, prefillChunks: 2 }, path);
    assert.equal(readTuning(key, path)?.tokenBlock, 16);
    assert.equal(readTuning(key, path)?.prefillChunks, 2);
    assert.equal(readTuning(machineKey('wasm-relaxed', 1), path), null, 'other thread count');
    resetMatmulTuning();
    const before = getMatmulTuning();
    applyCachedTuning(key, path);
    assert.deepEqual(getMatmulTuning(), { tokenBlock: 16, prefillChunks: 2 });
    resetMatmulTuning();
    assert.deepEqual(getMatmulTuning(), before);
    // an entry from before prefillChunks existed: its token block, the default chunks
    writeFileSync(path, JSON.stringify({ [key]: { tokenBlock: 8, measured: '2026-01-01T00:00:00Z' } }));
    assert.deepEqual(readTuning(key, path), { tokenBlock: 8, prefillChunks: DEFAULT_PREFILL_CHUNKS, measured: '2026-01-01T00:00:00Z' });
    writeFileSync(path, JSON.stringify({ [key]: { tokenBlock: 6 } }));
    assert.equal(readTuning(key, path), null, 'not a multiple of 4');
    writeFileSync(path, JSON.stringify({ [key]: { tokenBlock: 8, prefillChunks: 0 } }));
    assert.equal(readTuning(key, path), null, 'chunks not a positive integer');
    writeFileSync(path, '{ not json');
    assert.equal(readTuning(key, path), null, 'corrupt file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsllama tune measures candidates and saves the fastest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-tune-cli-'));
  try {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'tsllama.js'), 'tune', '--threads', '1', '--reps', '1', '--json'], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, TSLLAMA_CACHE: dir },
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { tuning: { tokenBlock: number; prefillChunks: number }; results: { tokenBlock: number; ms: number }[]; chunkResults: unknown[] };
    assert.ok(out.results.length >= 3);
    const best = out.results.reduce((a, b) => (b.ms < a.ms ? b : a));
    assert.equal(out.tuning.tokenBlock, best.tokenBlock);
    assert.deepEqual(out.chunkResults, [], 'one thread: no chunks to time');
    assert.equal(out.tuning.prefillChunks, DEFAULT_PREFILL_CHUNKS);
    const saved = JSON.parse(readFileSync(join(dir, 'tune.json'), 'utf8')) as Record<string, { tokenBlock: number }>;
    assert.deepEqual(Object.values(saved).map((e) => e.tokenBlock), [best.tokenBlock]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
