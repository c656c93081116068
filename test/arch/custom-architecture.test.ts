// The worked example of docs/adding-an-architecture.md, step for step: register a new
// general.architecture name on the existing blocks, without touching the engine, and check it
// against llama.cpp. ERNIE 4.5 (dense, 0.3B) is llama's graph under another name in llama.cpp
// (src/models/ernie4-5.cpp: RMSNorm, normal rope, SwiGLU, optional output.weight).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBaseConfig, registerArchitecture, supportedArchitectures } from '../../src/arch/index.js';
import { writeGGUF } from '../../src/gguf/writer.js';
import { buildSynthModel } from '../../src/synth/synthesize.js';
import { disposeLlamaCpp, llamaCppAvailable } from '../helpers/llamacpp.js';
import { firstDivergence, reference, runOurs } from './parity.js';

// --- the registration, as in the docs ---
registerArchitecture({
  name: 'ernie4_5',
  readConfig: (file) => readBaseConfig(file, 'ernie4_5'),
});

/** The llama `tiny` synthetic model with its metadata renamed to ernie4_5.*. */
function writeErnieFile(path: string): void {
  const m = buildSynthModel({ preset: 'tiny', seed: 1 });
  const kvs = m.kvs.map((kv) => {
    if (kv.key === 'general.architecture') return { ...kv, value: 'ernie4_5' };
    return kv.key.startsWith('llama.') ? { ...kv, key: `ernie4_5.${kv.key.slice('llama.'.length)}` } : kv;
  });
  writeGGUF(path, kvs, m.tensors);
}

test('a family registered from outside the engine loads and matches llama.cpp', async (t) => {
  assert.ok(supportedArchitectures().includes('ernie4_5'));
  const available = await llamaCppAvailable();
  if (available !== true) { t.skip(String(available)); return; }
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-ernie-'));
  t.after(async () => {
    await disposeLlamaCpp();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'ernie-tiny.gguf');
  writeErnieFile(path);
  const ref = await reference(path);
  for (const backend of ['scalar', 'wasm'] as const) {
    const ours = await runOurs(path, 'fp32', backend, ref);
    assert.ok(Math.max(...ours.logitErr) <= 1e-4, `${backend}: logits differ by up to ${Math.max(...ours.logitErr)}`);
    const d = firstDivergence(ours.greedy, ref.greedy.ids);
    assert.ok(d < 0 || ref.greedy.top2Gap[d] < 2e-4, `${backend}: greedy diverges at ${d}, llama.cpp's gap ${ref.greedy.top2Gap[d]}`);
  }
});
