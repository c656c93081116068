// The architecture registry: supported names, the clear errors for unknown architectures and
// unsupported features, the per-family config rules taken from llama.cpp, and fused-tensor views.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { getArchitecture, supportedArchitectures, UnknownArchitectureError, UnsupportedModelError } from '../../src/arch/index.js';
import { readGGUF, readTensorBytes } from '../../src/gguf/reader.js';
import type { GGUFFile } from '../../src/gguf/types.js';
import { writeGGUF } from '../../src/gguf/writer.js';
import { loadModel } from '../../src/index.js';
import { buildSynthModel, synthesizeModel } from '../../src/synth/synthesize.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-registry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A synthetic model's file, read back (metadata and tensor table; data stays on disk). */
function synthFile(dir: string, preset: string): GGUFFile {
  const path = join(dir, `${preset}.gguf`);
  synthesizeModel({ preset, seed: 1, outPath: path });
  return readGGUF(path);
}

test('supported architectures: the built-in families, sorted', () => {
  assert.deepEqual(supportedArchitectures(), ['gemma', 'gemma2', 'gemma3', 'llama', 'mistral3', 'phi3', 'qwen2', 'qwen3']);
});

test('loading a GGUF of an unknown architecture fails with the list of supported ones', async (t) => {
  const path = join(tmp(t), 'mamba.gguf');
  const m = buildSynthModel({ preset: 'tiny' });
  const kvs = m.kvs.map((kv) => (kv.key === 'general.architecture' ? { ...kv, value: 'mamba9' } : kv));
  writeGGUF(path, kvs, m.tensors);
  await assert.rejects(loadModel(path, { backend: 'scalar' }), (e: unknown) => {
    assert.ok(e instanceof UnknownArchitectureError);
    assert.equal(e.message, `${path}: unknown architecture "mamba9"; supported: ${supportedArchitectures().join(', ')}`);
    return true;
  });
});

test('unsupported features are refused with the reason', (t) => {
  const dir = tmp(t);
  const cases: [string, string, GGUFFile['metadata'] extends Map<string, infer V> ? V : never, RegExp][] = [
    ['tiny', 'llama.rope.scaling.type', 'yarn', /YaRN rope scaling is not supported/],
    ['tiny', 'llama.rope.scaling.type', 'dynamic', /unknown rope scaling type "dynamic"/],
    ['tiny', 'llama.expert_count', 8, /mixture-of-experts .* not supported/],
    ['mistral3-tiny', 'mistral3.attention.temperature_scale', 0.1, /temperature scaling .* not supported/],
    ['phi3-tiny', 'phi3.rope.scaling.attn_factor', 1.2, /attn_factor with partial rotary/],
  ];
  for (const [preset, key, value, want] of cases) {
    const file = synthFile(dir, preset);
    file.metadata.set(key, value);
    const arch = String(file.metadata.get('general.architecture'));
    assert.throws(() => getArchitecture(arch).readConfig(file), (e: unknown) => e instanceof UnsupportedModelError && want.test(e.message), `${key} = ${value}`);
  }
});

test('llama requires full rotary, as llama.cpp ("invalid n_rot")', (t) => {
  const file = synthFile(tmp(t), 'tiny');
  file.metadata.set('llama.rope.dimension_count', 8);
  assert.throws(() => getArchitecture('llama').readConfig(file), /invalid rope.dimension_count 8, expected the head size 16/);
});

test('family flags follow llama.cpp: rope style, biases, QK norm, soft-caps, sliding windows', (t) => {
  const dir = tmp(t);
  const cfg = (preset: string) => {
    const file = synthFile(dir, preset);
    return getArchitecture(String(file.metadata.get('general.architecture'))).readConfig(file);
  };
  assert.equal(cfg('tiny').ropeStyle, 'normal');
  assert.equal(cfg('qwen2-tiny').ropeStyle, 'neox');
  const qwen3 = cfg('qwen3-tiny');
  assert.ok(qwen3.qkNorm && qwen3.headDim === 32 && qwen3.dim === 64, 'qwen3: head size from attention.key_length');
  const phi = cfg('phi3-tiny');
  assert.deepEqual([phi.ropeStyle, phi.ropeDim, phi.ropeFreqsTensor, phi.slidingWindow], ['neox', 12, 'rope_factors_short.weight', 0]);

  const gemma = cfg('gemma-tiny');
  assert.equal(gemma.embedScale, Math.fround(8));
  assert.ok(gemma.tiedEmbeddings && gemma.ffnActivation === 'gelu' && gemma.attnScaleOnQuery);

  const g2 = cfg('gemma2-tiny');
  assert.deepEqual([0, 1].map(g2.isSwaLayer), [true, false], 'gemma2: every other layer from layer 0');
  assert.deepEqual([g2.attnSoftcap, g2.finalSoftcap, g2.slidingWindow], [Math.fround(0.03), 1.5, 6]);

  const g3 = cfg('gemma3-tiny');
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(g3.isSwaLayer), [true, true, true, true, true, false], 'gemma3: 5 local, 1 global');
  assert.deepEqual([g3.ropeBase, g3.ropeBaseSwa, g3.ropeFreqScale, g3.ropeFreqScaleSwa], [1e6, 10000, 0.125, 1]);
  assert.deepEqual([g3.attnSoftcap, g3.finalSoftcap], [0, 0]);
});

test('gemma2 defaults when keys are absent; the 27B attention scale uses dim / heads', (t) => {
  const file = synthFile(tmp(t), 'gemma2-tiny');
  for (const k of ['attn_logit_softcapping', 'final_logit_softcapping', 'attention.sliding_window']) file.metadata.delete(`gemma2.${k}`);
  const c = getArchitecture('gemma2').readConfig(file);
  assert.deepEqual([c.attnSoftcap, c.finalSoftcap, c.slidingWindow], [50, 30, 4096]);
  assert.equal(c.attnScale, Math.fround(1 / Math.fround(Math.sqrt(16))));
  file.metadata.set('gemma2.block_count', 46);
  file.metadata.set('gemma2.attention.key_length', 8);
  file.metadata.set('gemma2.attention.value_length', 8);
  file.metadata.set('gemma2.rope.dimension_count', 8);
  assert.equal(getArchitecture('gemma2').readConfig(file).attnScale, Math.fround(1 / Math.fround(Math.sqrt(64 / 4))));
});

test('fused attn_qkv and gate+up ffn_up are exposed as views of the same bytes', (t) => {
  const dir = tmp(t);
  const file = synthFile(dir, 'phi3-tiny');
  const fused = readGGUF(file.path);
  const cfg = getArchitecture('phi3').readConfig(file);
  const names = new Set(file.tensors.map((x) => x.name));
  assert.ok(!names.has('blk.0.attn_qkv.weight'), 'the fused entry is replaced');
  const bytes = (f: GGUFFile, name: string) => {
    const info = f.tensors.find((x) => x.name === name)!;
    const b = Buffer.alloc(info.nBytes);
    readTensorBytes(f, info, b);
    return { info, b };
  };
  const qkv = bytes(fused, 'blk.1.attn_qkv.weight').b;
  const rowBytes = cfg.dim * 4; // f32 rows of length dim
  const parts: [string, number][] = [['attn_q', cfg.nHeads * cfg.headDim], ['attn_k', cfg.nKvHeads * cfg.headDim], ['attn_v', cfg.nKvHeads * cfg.headDim]];
  let row = 0;
  for (const [n, rows] of parts) {
    const v = bytes(file, `blk.1.${n}.weight`);
    assert.deepEqual(v.info.dims, [cfg.dim, rows]);
    assert.ok(v.b.equals(qkv.subarray(row * rowBytes, (row + rows) * rowBytes)), n);
    row += rows;
  }
  const up = bytes(fused, 'blk.0.ffn_up.weight').b;
  const F = cfg.ffnDim;
  assert.ok(bytes(file, 'blk.0.ffn_gate.weight').b.equals(up.subarray(0, F * rowBytes)), 'gate is the first half');
  assert.ok(bytes(file, 'blk.0.ffn_up.weight').b.equals(up.subarray(F * rowBytes)), 'up is the second half');
  getArchitecture('phi3').readConfig(file); // a second read finds nothing left to split
  assert.equal(file.tensors.length, new Set(file.tensors.map((x) => x.name)).size);
});
