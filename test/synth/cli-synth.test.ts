// `tsllama synth` through bin/tsllama.js: writes a loadable file; bad arguments fail with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/data.js';
import { readGGUF } from '../../src/gguf/reader.js';
import { GGMLType } from '../../src/gguf/types.js';

function tsllama(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'tsllama.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, TSLLAMA_DEBUG: '', TSLLAMA_PROGRESS: 'off' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('synth tiny -o file --type q4_0 --seed 9 writes that model', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'tiny.gguf');
  const r = tsllama('synth', 'tiny', '-o', out, '--type', 'q4_0', '--seed', '9');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote .*tiny\.gguf \(tiny, q4_0, seed 9\)/);
  const f = readGGUF(out);
  assert.equal(f.tensors.find((x) => x.name === 'blk.0.attn_q.weight')!.type, GGMLType.Q4_0);
  const again = join(dir, 'again.gguf');
  assert.equal(tsllama('synth', 'tiny', `--output=${again}`, '--type=q4_0', '--seed=9').code, 0);
  assert.ok(readFileSync(out).equals(readFileSync(again)), 'same seed, same bytes');
});

test('synth errors: unknown preset lists presets; bad type; missing -o; one line each', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'x.gguf');
  for (const [args, pattern] of [
    [['synth', 'llama-70b', '-o', out], /unknown preset "llama-70b" \(available: tiny, smollm2-135m/],
    [['synth', 'tiny', '-o', out, '--type', 'q3_k'], /unknown --type "q3_k" \(available: f32, f16, q8_0, q4_0\)/],
    [['synth', 'tiny'], /needs an output file/],
    [['synth'], /needs a preset/],
    [['synth', 'tiny', '-o', join(dir, 'no-such-dir', 'x.gguf')], /cannot write .*x\.gguf: its folder does not exist/],
  ] as [string[], RegExp][]) {
    const r = tsllama(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], pattern);
  }
  assert.ok(!existsSync(out));
});

test('synth --help lists the presets', () => {
  const r = tsllama('synth', '--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /smollm2-135m\s+llama, vocab 49152, dim 576, 30 layers, 9\/3 heads, ffn 1536, tied embeddings/);
});
