// `tsllama info` run as a user would: through bin/tsllama.js in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needData, REPO_ROOT } from '../helpers/data.js';

function tsllama(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'tsllama.js'), ...args], { encoding: 'utf8', env: { ...process.env, TSLLAMA_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('info on stories260K: version, architecture, summarized arrays, tensor table', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const r = tsllama('info', paths[0], '--tensors');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GGUF version:\s+3/);
  assert.match(r.stdout, /architecture:\s+llama/);
  assert.match(r.stdout, /tensors:\s+48 \(48 × F32\)/);
  assert.match(r.stdout, /parameters:\s+292\.8K/);
  assert.match(r.stdout, /tokenizer\.ggml\.tokens = \[512 strings\]/);
  assert.match(r.stdout, /tokenizer\.ggml\.scores = \[512 f32\]/);
  assert.match(r.stdout, /llama\.attention\.layer_norm_rms_epsilon = 0\.00001\n/);
  assert.match(r.stdout, /blk\.4\.ffn_down\.weight\s+F32\s+\[172, 64\]\s+0\.044/);
  assert.doesNotMatch(tsllama('info', paths[0]).stdout, /blk\.4\.ffn_down/, 'table only with --tensors');
});

test('info --json is parseable and complete', (t) => {
  const paths = needData(t, 'models/stories260K-q8_0.gguf');
  if (!paths) return;
  const r = tsllama('info', paths[0], '--json', '--tensors');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.version, 3);
  assert.equal(j.architecture, 'llama');
  assert.equal(j.tensorCount, 48);
  assert.equal(j.tensors.length, 48);
  assert.equal(j.metadata['tokenizer.ggml.tokens'], '[512 strings]');
  assert.ok(j.tensors.some((x: { type: string }) => x.type === 'Q8_0'));
});

test('info errors: one line on stderr, no stack trace, non-zero exit', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [args, pattern] of [
    [['info', join(dir, 'missing.gguf')], /model file not found/],
    [['info', dir], /is a directory/],
    [['info'], /needs a GGUF file/],
    [['info', 'a.gguf', '--bogus'], /unknown option --bogus/],
  ] as [string[], RegExp][]) {
    const r = tsllama(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /\s+at /, 'no stack trace');
  }
});
