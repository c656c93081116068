// Bad requests get OpenAI error objects with the right status, and never take the server down:
// malformed JSON, wrong types, n > 1, unknown model, too long a prompt, bad API key, unknown route,
// wrong method, and a full queue (503 with Retry-After).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadTinyModel, postJson, startServer, waitFor, getStats, type TestServer } from './helpers.js';

let tiny: Awaited<ReturnType<typeof loadTinyModel>>;
let srv: TestServer;
const KEY = 'sekret';
const AUTH = { authorization: `Bearer ${KEY}` };

before(async () => {
  tiny = await loadTinyModel();
  // Small slot context so that a long prompt is easy to make; one slot and no queue for the 503 case.
  srv = await startServer(tiny.model, { apiKey: KEY, parallel: 1, queue: 0, contextLength: 64 });
});
after(async () => {
  await srv?.server.close();
  await tiny?.dispose();
});

function assertError(r: { status: number; json: any }, status: number, fields: { param?: string | null; code?: string | null; type?: string }): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  const e = r.json?.error;
  assert.ok(e && typeof e.message === 'string' && e.message.length > 0, `no error object: ${JSON.stringify(r.json)}`);
  assert.ok('type' in e && 'param' in e && 'code' in e);
  if (fields.param !== undefined) assert.equal(e.param, fields.param);
  if (fields.code !== undefined) assert.equal(e.code, fields.code);
  if (fields.type !== undefined) assert.equal(e.type, fields.type);
}

const chat = (body: object): Promise<{ status: number; headers: Headers; json: any }> =>
  postJson(`${srv.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, ...body }, AUTH);

test('malformed JSON and non-object bodies → 400 invalid_json', async () => {
  assertError(await postJson(`${srv.url}/v1/chat/completions`, '{"messages": [', AUTH), 400, { code: 'invalid_json' });
  assertError(await postJson(`${srv.url}/v1/chat/completions`, '[1, 2]', AUTH), 400, { code: 'invalid_json' });
  assertError(await postJson(`${srv.url}/v1/completions`, '', AUTH), 400, { code: 'invalid_json' });
});

test('wrong types and values → 400 naming the field', async () => {
  assertError(await chat({ temperature: 'hot' }), 400, { param: 'temperature', type: 'invalid_request_error' });
  assertError(await chat({ max_tokens: 1.5 }), 400, { param: 'max_tokens' });
  assertError(await chat({ top_p: 3 }), 400, { param: 'top_p' });
  assertError(await chat({ stop: 5 }), 400, { param: 'stop' });
  assertError(await chat({ stream: 'yes' }), 400, { param: 'stream' });
  assertError(await chat({ logit_bias: { abc: 1 } }), 400, { param: 'logit_bias' });
  assertError(await chat({ messages: 'hi' }), 400, { param: 'messages' });
  assertError(await chat({ messages: [] }), 400, { param: 'messages' });
  assertError(await chat({ messages: [{ role: 'wizard', content: 'x' }] }), 400, { param: 'messages[0].role' });
  assertError(await chat({ messages: [{ role: 'user', content: 42 }] }), 400, { param: 'messages[0].content' });
  assertError(await chat({ response_format: { type: 'yaml' } }), 400, { param: 'response_format' });
  assertError(await postJson(`${srv.url}/v1/completions`, { prompt: [1, 'a'] }, AUTH), 400, { param: 'prompt[0]' });
  assertError(await postJson(`${srv.url}/v1/completions`, { prompt: [99999] }, AUTH), 400, { param: 'prompt' });
  assertError(await postJson(`${srv.url}/v1/embeddings`, { input: 7 }, AUTH), 400, { param: 'input' });
});

test('n other than 1 → 400', async () => {
  assertError(await chat({ n: 2 }), 400, { param: 'n', code: 'unsupported_value' });
  assert.equal((await chat({ n: 1 })).status, 200);
});

test('unknown model → 404 model_not_found; the id or no model is fine', async () => {
  assertError(await chat({ model: 'gpt-4o' }), 404, { param: 'model', code: 'model_not_found' });
  assertError(await postJson(`${srv.url}/v1/embeddings`, { model: 'nope', input: 'x' }, AUTH), 404, { code: 'model_not_found' });
  assert.equal((await chat({ model: 'tiny' })).status, 200);
  assert.equal((await chat({})).status, 200);
  const r = await fetch(`${srv.url}/v1/models/nope`, { headers: AUTH });
  assert.equal(r.status, 404);
});

test('a prompt longer than the slot context → 400 context_length_exceeded', async () => {
  const long = 'word '.repeat(200);
  assertError(await chat({ messages: [{ role: 'user', content: long }] }), 400, { code: 'context_length_exceeded', param: 'messages' });
  assertError(await postJson(`${srv.url}/v1/completions`, { prompt: long }, AUTH), 400, { code: 'context_length_exceeded', param: 'prompt' });
});

test('API key: missing or wrong → 401 on every route; right → 200', async () => {
  for (const path of ['/health', '/v1/models', '/metrics', '/v1/stats']) {
    const r = await fetch(`${srv.url}${path}`);
    assert.equal(r.status, 401, path);
    assert.equal(((await r.json()) as any).error.code, 'invalid_api_key');
    assert.equal((await fetch(`${srv.url}${path}`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${srv.url}${path}`, { headers: AUTH })).status, 200, path);
  }
  assertError(await postJson(`${srv.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] }), 401, { type: 'authentication_error' });
});

test('unknown route → 404, wrong method → 405', async () => {
  assert.equal((await fetch(`${srv.url}/v2/everything`, { headers: AUTH })).status, 404);
  const r = await fetch(`${srv.url}/v1/chat/completions`, { headers: AUTH });
  assert.equal(r.status, 405);
  assert.ok(((await r.json()) as any).error.message.includes('POST'));
});

test('queue full → 503 with Retry-After; the server keeps serving', async () => {
  // One slot, no queue, and a long stream occupying the slot (about 250 steps) while we ask again.
  const busySrv = await startServer(tiny.model, { parallel: 1, queue: 0, contextLength: 256 });
  try {
    const ac = new AbortController();
    const busy = await fetch(`${busySrv.url}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: ac.signal,
      body: JSON.stringify({ prompt: 'a', max_tokens: 250, stream: true, ignore_eos: true }),
    });
    assert.equal(busy.status, 200);
    const r = await postJson(`${busySrv.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    assertError(r, 503, { type: 'server_error', code: 'server_busy' });
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal((await getStats(busySrv.url)).active, 1);
    ac.abort();
    await busy.body?.cancel().catch(() => {});
    assert.ok(await waitFor(async () => (await getStats(busySrv.url)).active === 0, 5000), 'the aborted stream still holds the slot');
    // With the slot free, requests succeed again.
    const ok = await postJson(`${busySrv.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    assert.equal(ok.status, 200);
  } finally {
    await busySrv.server.close();
  }
});
