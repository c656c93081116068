import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModelRef, parseModelRef } from '../../src/hub/ref.js';
import { HubError } from '../../src/hub/errors.js';

test('hf:user/repo:quant parses into repo and tag', () => {
  const r = parseModelRef('hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q8_0');
  assert.deepEqual(r, { kind: 'hf', repo: 'bartowski/SmolLM2-135M-Instruct-GGUF', tag: 'Q8_0', revision: 'main', text: 'hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q8_0' });
});

test('hf:user/repo without a tag leaves the choice to the default', () => {
  const r = parseModelRef('hf:a/b');
  assert.equal(r.kind, 'hf');
  assert.equal(r.kind === 'hf' && r.tag, undefined);
  assert.equal(r.kind === 'hf' && r.file, undefined);
});

test('hf:user/repo/path/file.gguf names one file, folders kept', () => {
  const r = parseModelRef('hf:a/b/sub/x-Q4_K_M.gguf');
  assert.equal(r.kind === 'hf' && r.file, 'sub/x-Q4_K_M.gguf');
  assert.equal(r.kind === 'hf' && r.repo, 'a/b');
});

test('a hub resolve or blob URL becomes an hf reference with its revision', () => {
  const r = parseModelRef('https://huggingface.co/a/b/resolve/v1.0/x.gguf?download=true');
  assert.equal(r.kind, 'hf');
  assert.equal(r.kind === 'hf' && r.file, 'x.gguf');
  assert.equal(r.kind === 'hf' && r.revision, 'v1.0');
  const other = parseModelRef('http://127.0.0.1:9/a/b/resolve/main/x.gguf', ['http://127.0.0.1:9']);
  assert.equal(other.kind, 'hf');
});

test('other URLs stay URLs', () => {
  const r = parseModelRef('https://example.com/models/x.gguf');
  assert.equal(r.kind, 'url');
  assert.equal(r.kind === 'url' && r.url.pathname, '/models/x.gguf');
});

test('bad references fail with a one-line reason', () => {
  for (const bad of ['hf:', 'hf:onlyuser', 'hf:a/b:Q8 0', 'hf:a/b/x.gguf:Q8_0', 'hf:a/b/../x.gguf', 'https://example.com/', 'model.gguf']) {
    assert.throws(() => parseModelRef(bad), (e: unknown) => e instanceof HubError && e.kind === 'bad-ref' && !e.message.includes('\n'), bad);
  }
});

test('isModelRef tells references from local paths', () => {
  assert.ok(isModelRef('hf:a/b'));
  assert.ok(isModelRef('HTTPS://x/y.gguf'));
  assert.ok(!isModelRef('./models/x.gguf'));
  assert.ok(!isModelRef('/abs/hf:x.gguf'));
});
