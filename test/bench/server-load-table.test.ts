// The load test's summary: median runs per stream count, and tsllama's server beside llama.cpp
// (the same workload through node-llama-cpp) with each one's speed-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestThreadsPerCount, medianTokensPerSecond, sideBySide } from '../../bench/server-load.js';
import type { LlamaStreamsRun } from '../../bench/llamacpp-streams.js';

const run = (streams: number, tokensPerSecond: number): LlamaStreamsRun => ({ streams, tokensPerSecond, completionTokens: 1, wallSeconds: 1, p50Ms: 1, p95Ms: 1 });

test('median of an odd and of an even number of runs, per stream count', () => {
  const runs = [run(1, 100), run(4, 300), run(1, 140), run(4, 180), run(1, 90), run(4, 200), run(4, 400)];
  assert.equal(medianTokensPerSecond(runs, 1), 100);
  assert.equal(medianTokensPerSecond(runs, 4), 250);
  assert.ok(Number.isNaN(medianTokensPerSecond(runs, 2)));
});

test('side by side: each count\'s medians and their ratio, then each engine\'s speed-up', () => {
  const ours = [run(1, 100), run(4, 190), run(1, 110), run(4, 210)];
  const theirs = [run(1, 50), run(4, 60), run(1, 50), run(4, 60)];
  const table = sideBySide(ours, theirs).split('\n');
  assert.ok(table.includes('| 1 | 105 | 50 | 2.10× |'), table.join('\n'));
  assert.ok(table.includes('| 4 | 200 | 60 | 3.33× |'), table.join('\n'));
  assert.ok(table.includes('| 4 ÷ 1 | 1.90× | 1.20× | |'), table.join('\n'));
});

test('llama.cpp: each stream count keeps the thread count of its fastest median run, labelled', () => {
  const byThreads = new Map([
    [1, [run(1, 90), run(4, 100), run(1, 88), run(4, 98)]],
    [2, [run(1, 50), run(4, 120), run(1, 52), run(4, 118)]],
  ]);
  const best = bestThreadsPerCount(byThreads);
  assert.deepEqual(best.map((r) => `${r.streams}:${r.threads}:${r.tokensPerSecond}`).sort(), ['1:1:88', '1:1:90', '4:2:118', '4:2:120']);
  const table = sideBySide([run(1, 100), run(4, 200)], best).split('\n');
  assert.ok(table.includes('| 1 | 100 | 89 (t=1) | 1.12× |'), table.join('\n'));
  assert.ok(table.includes('| 4 | 200 | 119 (t=2) | 1.68× |'), table.join('\n'));
  assert.ok(table.includes('| 4 ÷ 1 | 2.00× | 1.34× | |'), table.join('\n'));
});
