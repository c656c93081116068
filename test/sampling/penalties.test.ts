import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLogitBias, applyPenalties } from '../../src/sampling/penalties.js';

const none = { repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, penaltyLastN: 64 };

function penalized(logits: number[], history: number[], p: Partial<typeof none>): number[] {
  const w = Float32Array.from(logits);
  applyPenalties(w, history, { ...none, ...p });
  return Array.from(w);
}

test('repeat penalty divides positive logits, multiplies non-positive ones, once per distinct id', () => {
  // id 0: 2 > 0 → 2/2 = 1; id 1 (seen twice): -1 ≤ 0 → -1·2 = -2 (once, not twice); id 2 unseen; id 3: 0 → 0·2 = 0
  assert.deepEqual(penalized([2, -1, 0.5, 0], [0, 1, 1, 3], { repeatPenalty: 2 }), [1, -2, 0.5, 0]);
});

test('penaltyLastN limits the window; 0 disables; -1 covers the whole history', () => {
  assert.deepEqual(penalized([2, -1, 0.5], [0, 1, 1], { repeatPenalty: 2, penaltyLastN: 2 }), [2, -2, 0.5]);
  assert.deepEqual(penalized([2, -1, 0.5], [0, 1, 1], { repeatPenalty: 2, penaltyLastN: 0 }), [2, -1, 0.5]);
  assert.deepEqual(penalized([2, -1, 0.5], [0, 1, 1], { repeatPenalty: 2, penaltyLastN: -1 }), [1, -2, 0.5]);
});

test('presence and frequency penalties as OpenAI: logit -= presence·(count>0) + frequency·count', () => {
  // id 2 seen 3×: 0.5 - (0.5 + 3·0.25) = -0.75; id 0 seen once: 2 - (0.5 + 0.25) = 1.25
  assert.deepEqual(penalized([2, 1, 0.5], [2, 2, 2, 0], { presencePenalty: 0.5, frequencyPenalty: 0.25 }), [1.25, 1, -0.75]);
});

test('repeat penalty comes before the OpenAI penalties', () => {
  // id 0: 4/2 = 2, then - (1·0.5) = 1.5   (the other order would give (4-0.5)/2 = 1.75)
  assert.deepEqual(penalized([4, 1], [0], { repeatPenalty: 2, frequencyPenalty: 0.5 }), [1.5, 1]);
});

test('history ids outside the vocabulary are reported', () => {
  assert.throws(() => penalized([1, 2], [5], { repeatPenalty: 1.1 }), /token 5, outside the vocabulary of 2/);
});

test('logit bias adds to the listed ids; -Infinity bans; out-of-vocab ids are reported', () => {
  const w = Float32Array.from([1, 2, 3]);
  applyLogitBias(w, [[0, 0.5], [2, -Infinity]]);
  assert.deepEqual(Array.from(w), [1.5, 2, -Infinity]);
  assert.throws(() => applyLogitBias(w, [[3, 1]]), /token 3, but the vocabulary has 3/);
});
