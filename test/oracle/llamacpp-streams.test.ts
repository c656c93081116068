// llama.cpp's run of the load test's workload (bench/llamacpp-streams.ts) in its child process:
// every stream's every request generates exactly max_tokens (the end tokens are banned, as the
// server's ignore_eos), and one figure comes back per run, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureLlamaCppStreams } from '../../bench/llamacpp-streams.js';
import { needData } from '../helpers/data.js';
import { llamaCppAvailable } from '../helpers/llamacpp.js';

test('llama.cpp load run: S streams × R requests × max tokens each, one result per run', { timeout: 120_000 }, async (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const available = await llamaCppAvailable();
  if (available !== true) { t.skip(String(available)); return; }
  const runs = await measureLlamaCppStreams({ model: paths[0]!, streams: [1, 3, 1], requestsPerStream: 2, maxTokens: 5, threads: 1 });
  assert.deepEqual(runs.map((r) => r.streams), [1, 3, 1]);
  assert.deepEqual(runs.map((r) => r.completionTokens), [10, 30, 10]);
  for (const r of runs) assert.ok(r.tokensPerSecond > 0 && r.p50Ms > 0 && r.p95Ms >= r.p50Ms, JSON.stringify(r));
});
