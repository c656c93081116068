// Synthetic models: vocabulary invariants, tensor layout and types, determinism, weight statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSynthModel, synthesizeModel, type SynthType } from '../../src/synth/synthesize.js';
import { buildBpeVocab, gpt2ByteChars } from '../../src/synth/vocab.js';
import { SeededRng } from '../../src/synth/rng.js';
import { PRESETS } from '../../src/synth/presets.js';
import { readGGUF, readTensorBytes } from '../../src/gguf/reader.js';
import { quantizeQ8_0 } from '../../src/gguf/quantize.js';
import { GGMLType, GGUFError, type GGUFFile } from '../../src/gguf/types.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-synth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tensorF32(f: GGUFFile, name: string): Float32Array {
  const info = f.tensors.find((t) => t.name === name)!;
  assert.equal(info.type, GGMLType.F32);
  const b = Buffer.alloc(info.nBytes);
  readTensorBytes(f, info, b);
  return new Float32Array(b.buffer, b.byteOffset, info.nElements);
}

function tensorRaw(f: GGUFFile, name: string): Buffer {
  const info = f.tensors.find((t) => t.name === name)!;
  const b = Buffer.alloc(info.nBytes);
  readTensorBytes(f, info, b);
  return b;
}

test('GPT-2 byte characters: 256 distinct, printable bytes map to themselves, space is Ġ', () => {
  const chars = gpt2ByteChars();
  assert.equal(new Set(chars).size, 256);
  assert.equal(chars[0x41], 'A');
  assert.equal(chars[0x20], 'Ġ');
  assert.equal(chars[0x0a], 'Ċ');
  assert.equal(chars[0xad], 'Ń'); // the soft hyphen is not printable: U+0100 + 67
});

test('BPE vocab: exact size, unique tokens, every merge "a b" makes token "ab" in rank order', () => {
  for (const size of [259, 1024, 5000]) {
    const v = buildBpeVocab(size);
    assert.equal(v.tokens.length, size);
    assert.equal(new Set(v.tokens).size, size, 'tokens are unique');
    assert.equal(v.merges.length, size - 259);
    assert.deepEqual([...v.tokenTypes.slice(0, 4)], [3, 3, 3, 1]);
    const id = new Map(v.tokens.map((t, i) => [t, i]));
    v.merges.forEach((m, rank) => {
      const parts = m.split(' ');
      assert.equal(parts.length, 2, m);
      const [a, b] = parts;
      assert.ok(id.get(a)! < 259 + rank && id.get(b)! < 259 + rank, `merge ${rank} "${m}" uses tokens made before it`);
      assert.equal(id.get(a + b), 259 + rank, `merge ${rank} makes "${a + b}"`);
    });
  }
  assert.deepEqual(buildBpeVocab(1024).merges, buildBpeVocab(1024).merges, 'deterministic');
  assert.throws(() => buildBpeVocab(100), /at least 259/);
});

test('SeededRng: a normal stream does not depend on how it is split; mean 0, std 1', () => {
  const a = new SeededRng(7);
  const whole = new Float32Array(10001);
  a.fillNormal(whole, 1);
  const b = new SeededRng(7);
  const parts = [new Float32Array(3), new Float32Array(4998), new Float32Array(5000)];
  for (const p of parts) b.fillNormal(p, 1);
  const single = Float32Array.from({ length: 10001 }, (() => { const c = new SeededRng(7); return () => c.normal(); })());
  assert.deepEqual(Float32Array.from([...parts[0], ...parts[1], ...parts[2]]), whole);
  assert.deepEqual(single, whole);
  const mean = whole.reduce((s, x) => s + x, 0) / whole.length;
  const std = Math.sqrt(whole.reduce((s, x) => s + (x - mean) ** 2, 0) / whole.length);
  assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.05, `mean ${mean} std ${std}`);
  assert.notDeepEqual(whole.slice(0, 8), (() => { const o = new Float32Array(8); new SeededRng(8).fillNormal(o, 1); return o; })());
});

test('tiny: llama metadata, tensor names, dims and types for every output type', (t) => {
  const dir = tmp(t);
  const p = PRESETS.tiny;
  for (const type of ['f32', 'f16', 'q8_0', 'q4_0'] as SynthType[]) {
    const path = join(dir, `tiny-${type}.gguf`);
    synthesizeModel({ preset: 'tiny', type, outPath: path });
    const f = readGGUF(path);
    const m = f.metadata;
    assert.equal(m.get('general.architecture'), 'llama');
    assert.equal(m.get('general.file_type'), { f32: 0, f16: 1, q4_0: 2, q8_0: 7 }[type]);
    assert.equal(m.get('llama.embedding_length'), p.dim);
    assert.equal(m.get('llama.block_count'), p.nLayers);
    assert.equal(m.get('llama.attention.head_count_kv'), p.nKVHeads);
    assert.equal(m.get('llama.rope.dimension_count'), p.dim / p.nHeads);
    assert.equal(m.get('tokenizer.ggml.model'), 'gpt2');
    assert.equal((m.get('tokenizer.ggml.tokens') as string[]).length, p.vocabSize);
    assert.equal(f.tensors.length, 1 + 9 * p.nLayers + 2);
    const byName = new Map(f.tensors.map((x) => [x.name, x]));
    assert.deepEqual(byName.get('token_embd.weight')!.dims, [64, 1024]);
    assert.deepEqual(byName.get('output.weight')!.dims, [64, 1024]);
    assert.deepEqual(byName.get('blk.1.attn_k.weight')!.dims, [64, 32]);
    assert.deepEqual(byName.get('blk.1.ffn_down.weight')!.dims, [192, 64]);
    const want = { f32: GGMLType.F32, f16: GGMLType.F16, q8_0: GGMLType.Q8_0, q4_0: GGMLType.Q4_0 }[type];
    for (const info of f.tensors) {
      assert.equal(info.type, info.dims.length === 1 ? GGMLType.F32 : want, `${type}: ${info.name}`);
    }
  }
});

test('smollm2-135m layout: tied embeddings (no output.weight), GQA shapes, vocab 49152', () => {
  const model = buildSynthModel({ preset: 'smollm2-135m', type: 'q8_0' });
  const names = model.tensors.map((x) => x.name);
  assert.ok(!names.includes('output.weight'));
  assert.equal(names.length, 1 + 9 * 30 + 1);
  assert.deepEqual(model.tensors.find((x) => x.name === 'blk.29.attn_v.weight')!.dims, [576, 192]);
  assert.deepEqual(model.tensors.find((x) => x.name === 'blk.0.ffn_up.weight')!.dims, [576, 1536]);
  assert.ok(Math.abs(model.nParams - 134.5e6) < 0.5e6, `about 135M parameters, got ${model.nParams}`);
  const kv = new Map(model.kvs.map((k) => [k.key, k.value]));
  assert.equal(kv.get('tokenizer.ggml.pre'), 'smollm');
  assert.equal(kv.get('llama.rope.freq_base'), 100000);
  assert.equal((kv.get('tokenizer.ggml.tokens') as string[]).length, 49152);
});

test('same seed → identical file; q8_0 weights are exactly the quantized f32 weights; stats are sane', (t) => {
  const dir = tmp(t);
  const f32Path = join(dir, 'a.gguf');
  synthesizeModel({ preset: 'tiny', seed: 5, outPath: f32Path });
  synthesizeModel({ preset: 'tiny', seed: 5, outPath: join(dir, 'b.gguf') });
  synthesizeModel({ preset: 'tiny', seed: 6, outPath: join(dir, 'c.gguf') });
  synthesizeModel({ preset: 'tiny', seed: 5, type: 'q8_0', outPath: join(dir, 'q.gguf') });
  assert.ok(readFileSync(f32Path).equals(readFileSync(join(dir, 'b.gguf'))));
  const a = readGGUF(f32Path);
  const c = readGGUF(join(dir, 'c.gguf'));
  const q = readGGUF(join(dir, 'q.gguf'));
  assert.notDeepEqual(tensorF32(a, 'blk.0.attn_q.weight'), tensorF32(c, 'blk.0.attn_q.weight'));
  for (const name of ['token_embd.weight', 'blk.1.ffn_down.weight', 'output.weight']) {
    assert.ok(Buffer.from(quantizeQ8_0(tensorF32(a, name))).equals(tensorRaw(q, name)), name);
  }
  const stats = (x: Float32Array) => {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    return { mean, std: Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length) };
  };
  const w = stats(tensorF32(a, 'blk.0.ffn_gate.weight'));
  assert.ok(Math.abs(w.mean) < 0.002 && Math.abs(w.std - 0.02) < 0.002, JSON.stringify(w));
  const e = stats(tensorF32(a, 'token_embd.weight'));
  assert.ok(Math.abs(e.std - 0.05) < 0.002, JSON.stringify(e));
  const n = stats(tensorF32(a, 'output_norm.weight'));
  assert.ok(Math.abs(n.mean - 1) < 0.05 && n.std > 0.05 && n.std < 0.15, JSON.stringify(n));
});

test('progress reaches the parameter count; unknown preset and type are refused', (t) => {
  const dir = tmp(t);
  const seen: number[] = [];
  let total = 0;
  synthesizeModel({ preset: 'tiny', outPath: join(dir, 'p.gguf'), onProgress: (d, tt) => { seen.push(d); total = tt; } });
  assert.equal(total, buildSynthModel({ preset: 'tiny' }).nParams);
  assert.equal(seen.at(-1), total);
  assert.ok(seen.every((d, i) => i === 0 || d > seen[i - 1]));
  assert.throws(() => synthesizeModel({ preset: 'gpt5', outPath: join(dir, 'x.gguf') }), (e: unknown) => e instanceof GGUFError && /unknown preset "gpt5" \(available: tiny, smollm2-135m/.test(e.message));
  assert.throws(() => buildSynthModel({ preset: 'tiny', type: 'q2' as SynthType }), /unknown synth type/);
});
