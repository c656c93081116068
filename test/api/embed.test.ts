// Embeddings: pooling semantics against hidden rows from the same forward pass, L2 normalization,
// batch == one by one, determinism, long texts across several forward chunks, bad input.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { embed, loadModel, type Model } from '../../src/index.js';
import { cosineSimilarity, defaultPooling } from '../../src/model/embed.js';
import { REPO_ROOT } from '../helpers/data.js';
import { loadTestModel, TEST_LOAD, writeTinyChatModel } from './tiny-model.js';

let path = '';
let model: Model;
let cleanup = (): void => {};
before(async () => {
  const tiny = writeTinyChatModel();
  path = tiny.path;
  cleanup = tiny.cleanup;
  model = await loadTestModel(path);
});
after(async () => {
  await model?.dispose();
  cleanup();
});

/** The output-normed hidden rows of a text, one forward pass from position 0: [T][dim]. */
function hiddenRows(m: Model, text: string): Float32Array[] {
  const ids = m.encode(text);
  const kv = m.allocKV(64, 'f16');
  try {
    const ptr = m.forward(kv, ids, 0, 'hidden');
    const dim = m.config.dim;
    return ids.map((_, t) => m.views.f32.slice((ptr >> 2) + t * dim, (ptr >> 2) + (t + 1) * dim));
  } finally {
    m.releaseKV(kv);
  }
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}: [${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

const TEXT = 'the quick brown fox jumps over the lazy dog';

test('pooling: mean / cls / last of the hidden rows, unnormalized', async () => {
  const rows = hiddenRows(model, TEXT);
  assert.ok(rows.length > 3);
  const dim = model.config.dim;
  const mean = new Float32Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j] += r[j] / rows.length;
  assertClose(await embed(model, TEXT, { pooling: 'mean', normalize: false }), mean, 1e-5, 'mean');
  assertClose(await embed(model, TEXT, { pooling: 'cls', normalize: false }), rows[0], 0, 'cls');
  assertClose(await embed(model, TEXT, { pooling: 'last', normalize: false }), rows.at(-1)!, 0, 'last');
  // The poolings really differ (the test would not notice a mix-up otherwise).
  assert.ok(cosineSimilarity(rows[0], rows.at(-1)!) < 0.99);
});

test('normalize (default): unit length, same direction as the raw vector', async () => {
  for (const pooling of ['mean', 'cls', 'last'] as const) {
    const raw = await embed(model, TEXT, { pooling, normalize: false });
    const unit = await embed(model, TEXT, { pooling });
    assert.ok(Math.abs(norm(unit) - 1) < 1e-5, `${pooling}: |v| = ${norm(unit)}`);
    assert.ok(Math.abs(norm(raw) - 1) > 1e-3, `${pooling}: the raw vector is not already unit length`);
    assert.ok(cosineSimilarity(raw, unit) > 0.99999);
  }
});

test('a batch equals one by one, in order; results are deterministic; model.embed is the same function', async () => {
  const texts = ['hello world', TEXT, 'a', 'hello world'];
  const batch = await embed(model, texts);
  assert.equal(batch.length, texts.length);
  for (const [i, t] of texts.entries()) assert.deepEqual(batch[i], await embed(model, t));
  assert.deepEqual(batch[0], batch[3]);
  assert.ok(cosineSimilarity(batch[0], batch[1]) < 0.999, 'different texts, different vectors');
  assert.deepEqual(await model.embed(texts), batch);
  assert.deepEqual(await model.embed('a'), batch[2]);
  assert.deepEqual(await embed(model, []), []);

  // A second load of the same file gives the same vectors.
  const again = await loadModel(path, TEST_LOAD);
  try {
    assert.deepEqual(await again.embed(texts), batch);
  } finally {
    await again.dispose();
  }
});

test('a text longer than one forward batch pools over every chunk', async () => {
  const chunked = await loadTestModel(path, { maxBatch: 4 });
  try {
    const long = 'one two three four five six seven eight nine ten';
    assert.ok(chunked.encode(long).length > 8);
    for (const pooling of ['mean', 'cls', 'last'] as const) {
      // Same numbers as the single-pass model up to the batch size's effect on summation order.
      const a = await chunked.embed(long, { pooling });
      const b = await model.embed(long, { pooling });
      assert.ok(cosineSimilarity(a, b) > 0.9999, `${pooling}: ${cosineSimilarity(a, b)}`);
    }
  } finally {
    await chunked.dispose();
  }
});

test('defaults and errors', async () => {
  assert.equal(defaultPooling(model), 'mean'); // the synthetic GGUF has no pooling_type
  assert.deepEqual(await embed(model, TEXT), await embed(model, TEXT, { pooling: 'mean' }));
  await assert.rejects(embed(model, TEXT, { pooling: 'max' as 'mean' }), /unknown pooling "max"/);
  await assert.rejects(embed(model, ''), /text 0 has no tokens/); // this model adds no BOS
  await assert.rejects(embed(model, [TEXT, 5 as unknown as string]), /input must be a string or an array of strings/);
  await assert.rejects(embed(model, 'word '.repeat(600)), /more than the context of 512/);
});

test('tsllama embed prints the vectors embed() computes (text and --json), one per argument', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = join(REPO_ROOT, 'bin/tsllama.js');
  const args = [bin, 'embed', path, 'hello world', TEXT, '-q', 'fp32', '-t', '1', '--quiet', '--pooling', 'last'];
  const expected = await embed(model, ['hello world', TEXT], { pooling: 'last' });

  const json = spawnSync(process.execPath, [...args, '--json', '--similarity'], { encoding: 'utf8' });
  assert.equal(json.status, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { pooling: string; dim: number; embeddings: number[][]; similarity: number[][] };
  assert.equal(out.pooling, 'last');
  assert.equal(out.dim, model.config.dim);
  assert.deepEqual(out.embeddings, expected.map((v) => Array.from(v)));
  assert.ok(Math.abs(out.similarity[0][1] - cosineSimilarity(expected[0], expected[1])) < 1e-6);

  const text = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(text.status, 0, text.stderr);
  const rows = text.stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
  assert.equal(rows.length, 2);
  rows.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - expected[i][j]) <= 5e-7)));

  const bad = spawnSync(process.execPath, [bin, 'embed', path, 'x', '--pooling', 'max'], { encoding: 'utf8' });
  assert.match(bad.stderr, /--pooling must be one of mean, last, cls, got "max"/);
});
