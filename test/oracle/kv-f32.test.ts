// --kv-type f32 (LoadOptions.kvType) against llama.cpp with F32 K and V caches on the same files:
// greedy decoding (the prompt as one batch, then one token per step) gives the same ids, and every
// step's logits agree. llama.cpp runs without flash attention here: with it, node-llama-cpp's F32
// cache gave logits identical to its F16 cache's (measured: 0 difference; ours with f32 caches
// matched its non-flash F32 run to 6e-6 at the prompt's last position).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadModel } from '../../src/index.js';
import type { QuantMode } from '../../src/model/quant-mode.js';
import { needData } from '../helpers/data.js';
import { readGolden } from '../helpers/golden.js';
import { disposeLlamaCpp, llamaCppAvailable, llamaCppGreedy, shiftInvariantError } from '../helpers/llamacpp.js';

after(() => disposeLlamaCpp());

const FILES: { model: string; quant: QuantMode; tol: number }[] = [
  { model: 'models/stories260K.gguf', quant: 'fp32', tol: 1e-4 },
  { model: 'models/stories260K-q8_0.gguf', quant: 'q8', tol: 1e-4 },
];
// measured: fp32 up to 1.5e-5, q8 up to 4e-6 over 72 steps
const STEPS = 24;

for (const f of FILES) {
  test(`${f.model} (${f.quant}) with f32 KV caches: greedy ids and logits as llama.cpp's`, async (t) => {
    const paths = needData(t, f.model, 'golden/stories260K.json');
    if (!paths) return;
    const available = await llamaCppAvailable();
    if (available !== true) { t.skip(String(available)); return; }
    const golden = readGolden(paths[1]!);
    const model = await loadModel(paths[0]!, { quant: f.quant, kvType: 'f32', threads: 1, contextLength: 96 });
    try {
      const allIds = Array.from({ length: golden.n_vocab }, (_, i) => i);
      let checkedSteps = 0;
      let worst = 0;
      for (const c of golden.cases.slice(0, 3)) {
        const ref = await llamaCppGreedy(paths[0]!, c.prompt_ids, STEPS, { kvType: 'f32', flashAttention: false });
        const s = model.createSession();
        assert.equal(s.kvType, 'f32');
        let logits = s.eval(c.prompt_ids);
        for (let step = 0; step < ref.ids.length; step++) {
          const e = shiftInvariantError(logits, ref.logits[step]!, allIds);
          worst = Math.max(worst, e);
          assert.ok(e <= f.tol, `${JSON.stringify(c.prompt)} step ${step}: logits off by ${e} (tolerance ${f.tol})`);
          let best = 0;
          for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
          // a near-tie may fall either way within the tolerance; llama.cpp's id is fed on regardless
          if (ref.top2Gap[step]! > 2 * f.tol) assert.equal(best, ref.ids[step], `${JSON.stringify(c.prompt)} step ${step}: greedy id`);
          checkedSteps++;
          if (step + 1 < ref.ids.length) logits = s.eval([ref.ids[step]!]);
        }
        s.dispose();
      }
      t.diagnostic(`${checkedSteps} decode steps compared, largest logit difference ${worst.toExponential(2)}`);
    } finally {
      await model.dispose();
    }
  });
}

test('kvType is validated, and a session may still choose its own', async (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  await assert.rejects(loadModel(paths[0]!, { kvType: 'f8' as never }), /unknown KV cache type "f8" \(expected f16 or f32\)/);
  const model = await loadModel(paths[0]!, { kvType: 'f32', threads: 1, contextLength: 32 });
  try {
    assert.equal(model.kvType, 'f32');
    const own = model.createSession({ kvType: 'f16' });
    assert.equal(own.kvType, 'f16');
    own.dispose();
    assert.throws(() => model.createSession({ kvType: 'bf16' as never }), /unknown KV cache type "bf16"/);
  } finally {
    await model.dispose();
  }
});
