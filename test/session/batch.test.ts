// Batched decoding (one forward over several sessions) gives the same greedy ids and logits as
// each session decoding alone; and sessions of one model stay independent when interleaved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel, Session } from '../../src/index.js';
import { argmax } from '../../src/sampling/index.js';
import { needData } from '../helpers/data.js';

const PROMPTS = [
  [1, 403, 407, 261, 378],             // "Once upon a time"
  [1, 439, 431, 261, 263, 432, 419],   // other ids
  [1, 365],
];
const STEPS = 12;

for (const backend of ['wasm', 'scalar'] as const) {
  test(`batched decode equals separate decode (${backend})`, async (t) => {
    const paths = needData(t, 'models/stories260K.gguf');
    if (!paths) return;
    const model = await loadModel(paths[0], { quant: 'q8', backend, threads: 2, contextLength: 128 });
    try {
      // Alone: each session prefills and decodes greedily by itself.
      const alone: number[][] = [];
      const aloneLogits: Float32Array[] = [];
      for (const p of PROMPTS) {
        const s = model.createSession();
        s.eval(p);
        const ids: number[] = [];
        for (let i = 0; i < STEPS; i++) {
          const id = argmax(s.logits);
          ids.push(id);
          s.eval([id]);
        }
        aloneLogits.push(s.logits);
        alone.push(ids);
        s.dispose();
      }
      // Batched: prefill separately, then every decode step is one forward over all sessions.
      const sessions = PROMPTS.map((p) => {
        const s = model.createSession();
        s.eval(p);
        return s;
      });
      const batched: number[][] = PROMPTS.map(() => []);
      for (let i = 0; i < STEPS; i++) {
        const next = sessions.map((s) => argmax(s.logitsView));
        // logits handed out keep their values when the sessions run on (evalBatch reuses a buffer)
        const held = sessions.map((s) => s.logits);
        const heldValues = held.map((l) => Array.from(l));
        sessions.forEach((s, k) => assert.deepEqual(Array.from(s.logitsView), heldValues[k], 'logitsView equals logits'));
        next.forEach((id, k) => batched[k].push(id));
        Session.evalBatch(sessions.map((session, k) => ({ session, ids: [next[k]] })));
        held.forEach((l, k) => assert.deepEqual(Array.from(l), heldValues[k], `step ${i}: held logits changed`));
      }
      assert.deepEqual(batched, alone);
      sessions.forEach((s, k) => {
        let maxDiff = 0;
        for (let v = 0; v < s.logits.length; v++) maxDiff = Math.max(maxDiff, Math.abs(s.logits[v] - aloneLogits[k][v]));
        assert.ok(maxDiff < 1e-3, `session ${k}: batched logits differ by ${maxDiff}`);
        assert.equal(s.nPast, PROMPTS[k].length + STEPS);
        s.dispose();
      });
      // Mixed batch: several tokens for one session and one for another still match.
      const a = model.createSession();
      const b = model.createSession();
      Session.evalBatch([{ session: a, ids: PROMPTS[0] }, { session: b, ids: PROMPTS[2] }]);
      assert.equal(argmax(a.logits), alone[0][0]);
      assert.equal(argmax(b.logits), alone[2][0]);
      a.dispose();
      b.dispose();
    } finally {
      await model.dispose();
    }
  });
}

test('evalBatch rejects mixed models, duplicates and overflows', async (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const model = await loadModel(paths[0], { quant: 'q8', backend: 'scalar', contextLength: 8 });
  try {
    const s = model.createSession();
    assert.throws(() => Session.evalBatch([{ session: s, ids: [1] }, { session: s, ids: [2] }]), /twice/);
    assert.throws(() => Session.evalBatch([{ session: s, ids: [1, 2, 3, 4, 5, 6, 7, 8, 9] }]), /context/);
    assert.throws(() => Session.evalBatch([{ session: s, ids: [] }]), /at least one token/);
  } finally {
    await model.dispose();
  }
});
