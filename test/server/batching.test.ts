// The scheduler: concurrent requests decoded in one batched forward per step give the same tokens
// as each request alone (greedy, and sampled with a seed), also while a long prompt is prefilled in
// chunks beside them; and a client that disconnects mid-stream frees its slot at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getStats, loadTinyModel, postJson, startServer, waitFor, type TestServer } from './helpers.js';

let tiny: Awaited<ReturnType<typeof loadTinyModel>>;
let srv: TestServer;

before(async () => {
  tiny = await loadTinyModel();
  // A small prefill chunk so the long prompt below enters over several steps, interleaved with decoding.
  srv = await startServer(tiny.model, { parallel: 4, prefillChunk: 16, contextLength: 256 });
});
after(async () => {
  await srv?.server.close();
  await tiny?.dispose();
});

const PROMPTS = ['The cat sat', 'Once upon a time in a land far away', `${'many words in a long prompt '.repeat(5)}end`];

async function complete(url: string, prompt: string, extra: object): Promise<string> {
  const r = await postJson(`${url}/v1/completions`, { prompt, max_tokens: 24, ignore_eos: true, ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.usage.completion_tokens, 24);
  return r.json.choices[0].text as string;
}

for (const [label, params] of [['greedy', { temperature: 0 }], ['sampled, seed 42', { temperature: 0.8, seed: 42 }]] as const) {
  test(`3 concurrent requests give the same text as each alone (${label})`, async () => {
    assert.ok(tiny.model.encode(PROMPTS[2]!).length > 100); // several prefill chunks
    // Fresh servers (empty slot caches), so both runs evaluate the whole prompts.
    const aloneSrv = await startServer(tiny.model, { parallel: 4, prefillChunk: 16, contextLength: 256 });
    const togetherSrv = await startServer(tiny.model, { parallel: 4, prefillChunk: 16, contextLength: 256 });
    try {
      const alone: string[] = [];
      for (const p of PROMPTS) alone.push(await complete(aloneSrv.url, p, params));
      const together = await Promise.all(PROMPTS.map((p) => complete(togetherSrv.url, p, params)));
      assert.deepEqual(together, alone);
      // Batching really happened: far fewer forward passes than alone (3 × 24 decode steps + prefill chunks).
      const batchesAlone = (await getStats(aloneSrv.url)).batches;
      const batchesTogether = (await getStats(togetherSrv.url)).batches;
      assert.ok(batchesTogether < 0.7 * batchesAlone, `${batchesTogether} forward passes together vs ${batchesAlone} alone: not batched`);
      assert.equal((await getStats(togetherSrv.url)).cached_tokens, 0);
      // /v1/stats shows the thread count and the pool-or-not choice of each step size class run
      const raw = await (await fetch(`${togetherSrv.url}/v1/stats`)).json() as { threads: number; step_thread_modes: Record<string, string> };
      assert.equal(raw.threads, tiny.model.threads);
      assert.ok(['pooled', 'serial'].includes(raw.step_thread_modes['3']!), `3-stream decode steps: ${JSON.stringify(raw.step_thread_modes)}`);
    } finally {
      await aloneSrv.server.close();
      await togetherSrv.server.close();
    }
  });
}

test('a client that disconnects mid-stream frees its slot at once', async () => {
  const ac = new AbortController();
  const res = await fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: ac.signal,
    body: JSON.stringify({ messages: [{ role: 'user', content: 'go on forever' }], max_tokens: 230, stream: true, ignore_eos: true }),
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  assert.equal((await getStats(srv.url)).active, 1);
  const generatedAtAbort = (await getStats(srv.url)).generated_tokens;
  ac.abort();
  await reader.cancel().catch(() => {});
  assert.ok(await waitFor(async () => (await getStats(srv.url)).active === 0, 1000), 'slot still busy 1 s after the disconnect');
  // Generation stopped well before the 230 tokens asked for.
  const generated = (await getStats(srv.url)).generated_tokens - generatedAtAbort;
  assert.ok(generated < 200, `${generated} tokens generated after the disconnect`);
  // The slot serves the next request.
  assert.equal((await postJson(`${srv.url}/v1/completions`, { prompt: 'x', max_tokens: 3 })).status, 200);
});

test('metrics (Prometheus text) report counters and a throughput', async () => {
  const before = await getStats(srv.url);
  assert.equal((await postJson(`${srv.url}/v1/completions`, { prompt: 'count', max_tokens: 10, ignore_eos: true })).status, 200);
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^tsllama_${name} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(value('active'), 0);
  assert.equal(value('queued'), 0);
  assert.equal(value('generated_tokens'), before.generated_tokens + 10);
  assert.equal(value('prompt_tokens'), before.prompt_tokens + tiny.model.encode('count').length);
  assert.ok(value('tokens_per_second') > 0);
  assert.ok(value('compute_seconds') > before.compute_seconds, 'compute time grows with the request');
  assert.match(text, /# TYPE tsllama_generated_tokens counter/);
  assert.match(text, /# TYPE tsllama_compute_seconds counter/);
});
