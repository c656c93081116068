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
    await load(1); // warm-up (JIT tiers of both paths, first allocations)
    await load(4);
    // Throughput is a timing, and the machine may be busy with other work: alternate the two loads
    // for up to three rounds and compare the best of each (the least disturbed window).
    let bestOne = 0;
    let bestFour = 0;
    for (let round = 0; round < 3 && !(bestFour >= 2 * bestOne && round >= 1); round++) {
      for (const r of [await load(1), await load(4)]) {
        t.diagnostic(formatLoadResult(r));
        assert.deepEqual(r.failures, []);
        assert.equal(r.completionTokens, r.requests * 32);
        if (r.streams === 1) bestOne = Math.max(bestOne, r.tokensPerSecond);
        else bestFour = Math.max(bestFour, r.tokensPerSecond);
      }
    }
    const speedup = bestFour / bestOne;
    t.diagnostic(`speed-up with 4 streams: ${speedup.toFixed(2)}× (best ${bestFour.toFixed(0)} vs ${bestOne.toFixed(0)} tok/s)`);
    assert.ok(speedup >= 2, `4 streams give only ${speedup.toFixed(2)}× the tokens/s of one`);
  } finally {
    await stopServer(child);
  }
  assert.equal(exitCode, 0, 'the server did not exit cleanly on SIGTERM');
});
