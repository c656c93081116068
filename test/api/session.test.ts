// Sessions over one model (stories260K): independence when interleaved, seeded reproducibility,
// and truncate-then-regenerate matching a fresh run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test, type TestContext } from 'node:test';
import type { GenerateParams, Model } from '../../src/index.js';
import { needData, sharedPath } from '../helpers/data.js';
import { collectIds, loadTestModel } from './tiny-model.js';

const STORIES = sharedPath('models/stories260K.gguf');
let model: Model | null = null;
before(async () => {
  if (existsSync(STORIES)) model = await loadTestModel(STORIES);
});
after(async () => { await model?.dispose(); });

function needModel(t: TestContext): Model | null {
  if (!model) needData(t, 'models/stories260K.gguf');
  return model;
}

async function runAlone(m: Model, prompt: string, params: GenerateParams): Promise<number[]> {
  const s = m.createSession();
  try {
    return await collectIds(s.generate(prompt, params));
  } finally {
    s.dispose();
  }
}

test('two sessions interleaved token by token give the same ids as each run alone', async (t) => {
  const m = needModel(t);
  if (!m) return;
  const jobs = [
    { prompt: 'Once upon a time', params: { maxTokens: 24 } },
    { prompt: 'The cat sat on the mat and', params: { maxTokens: 24, temp: 0.8, seed: 7 } },
  ];
  const alone = await Promise.all(jobs.map((j) => runAlone(m, j.prompt, j.params)));
  assert.notDeepEqual(alone[0], alone[1]);

  const sessions = jobs.map(() => m.createSession());
  const streams = jobs.map((j, i) => sessions[i].generate(j.prompt, j.params));
  const got: number[][] = [[], []];
  for (let open = 2; open > 0;) {
    open = 0;
    for (const [i, s] of streams.entries()) {
      const step = await s.next();
      if (!step.done) {
        open++;
        if (step.value.id >= 0) got[i].push(step.value.id);
      }
    }
  }
  assert.deepEqual(got, alone);
  for (const s of sessions) s.dispose();
});

test('the same seed gives the same ids at temp 0.8; other seeds give other ids', async (t) => {
  const m = needModel(t);
  if (!m) return;
  const params = { maxTokens: 40, temp: 0.8, seed: 1234 };
  const first = await runAlone(m, 'Once upon a time', params);
  assert.deepEqual(await runAlone(m, 'Once upon a time', params), first);
  const others = await Promise.all([1, 2, 3].map((seed) => runAlone(m, 'Once upon a time', { ...params, seed })));
  assert.ok(others.some((ids) => JSON.stringify(ids) !== JSON.stringify(first)), 'the seed must matter');
});

test('truncate then regenerate equals a fresh run (greedy and seeded)', async (t) => {
  const m = needModel(t);
  if (!m) return;
  for (const params of [{ maxTokens: 20 }, { maxTokens: 20, temp: 0.8, seed: 99 }]) {
    const prompt = m.encode('Lily went to the park');
    const fresh = await runAlone(m, 'Lily went to the park', params);
    const s = m.createSession();
    await collectIds(s.generate('Tom had a big red ball', params)); // something else first
    // Back to nothing but the first prompt token, then the rest of the prompt and a new generation.
    s.truncate(1);
    if (s.tokens[0] !== prompt[0]) throw new Error('both prompts must start with BOS for this test');
    assert.deepEqual(await collectIds(s.generate(prompt.slice(1), params)), fresh);

    // Cut the generated part halfway and continue: the continuation matches the fresh run's tail.
    if (params.temp === undefined) {
      const keep = prompt.length + 10;
      s.truncate(keep);
      assert.deepEqual(s.tokens, [...prompt, ...fresh.slice(0, 10)]);
      s.truncate(keep - 1);
      const tail = await collectIds(s.generate([fresh[9]], { maxTokens: 10 }));
      assert.deepEqual(tail, fresh.slice(10, 20));
    }
    assert.throws(() => s.truncate(s.nPast + 1), /cannot truncate/);
    s.dispose();
  }
});
