// A bounded load test through the CLI (`tsllama serve` in a child process, loopback only):
// 1 stream × 50 and 4 streams × 50 streamed requests on stories260K, max_tokens 32. Every response
// must be well-formed, and 4 batched streams must generate at least 2× the tokens/s of one.
// Also checks that the server prints its URL and exits cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLoadResult, runLoad, spawnServer, stopServer, type LoadResult } from '../../bench/server-load.js';
import { needData } from '../helpers/data.js';

test('4 parallel streams × 50 requests: no failures, ≥ 2× the tokens/s of one stream', { timeout: 60_000 }, async (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const { url, child } = await spawnServer(paths[0]!, ['--parallel', '4', '--threads', '1', '--ctx', '256']);
  let exitCode: number | null = null;
  child.on('exit', (code) => { exitCode = code; });
  try {
    const load = (streams: number): Promise<LoadResult> =>
      runLoad({ url, streams, requestsPerStream: 50, maxTokens: 32, extraBody: { ignore_eos: true } });
    await load(1); // warm-up (JIT, first allocations)
    // Throughput is a timing: on a busy machine take the better of two rounds.
    let best = 0;
    for (let round = 0; round < 2 && best < 2; round++) {
      const one = await load(1);
      const four = await load(4);
      t.diagnostic(formatLoadResult(one));
      t.diagnostic(formatLoadResult(four));
      for (const r of [one, four]) {
        assert.deepEqual(r.failures, []);
        assert.equal(r.completionTokens, r.requests * 32);
      }
      best = Math.max(best, four.tokensPerSecond / one.tokensPerSecond);
    }
    t.diagnostic(`speed-up with 4 streams: ${best.toFixed(2)}×`);
    assert.ok(best >= 2, `4 streams give only ${best.toFixed(2)}× the tokens/s of one`);
  } finally {
    await stopServer(child);
  }
  assert.equal(exitCode, 0, 'the server did not exit cleanly on SIGTERM');
});
