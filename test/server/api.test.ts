// The server through the official `openai` client: chat (whole and streamed), completions,
// embeddings, models, json_object mode, stop strings and the prefix cache, on the tiny ChatML model.
// Greedy server output is checked against the library's own generation for the same prompt ids.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { renderConversationIds, resolveChatFormat } from '../../src/chat/chat-format.js';
import type { ChatMessage } from '../../src/chat/render.js';
import type { Model } from '../../src/index.js';
import { loadTinyModel, postJson, startServer, type TestServer } from './helpers.js';

let tiny: Awaited<ReturnType<typeof loadTinyModel>>;
let srv: TestServer;
let client: OpenAI;
const API_KEY = 'test-key';

before(async () => {
  tiny = await loadTinyModel();
  srv = await startServer(tiny.model, { apiKey: API_KEY, parallel: 2 });
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
});
after(async () => {
  await srv?.server.close();
  await tiny?.dispose();
});

const MESSAGES: ChatMessage[] = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Name three colors.' }];

/** The library's greedy continuation of `ids` (what the server must return at temperature 0). */
async function libraryGreedy(model: Model, ids: number[], maxTokens: number, stopTokens: number[] = []): Promise<string> {
  const session = model.createSession({ contextLength: 256 });
  try {
    let text = '';
    for await (const t of session.generate(ids, { temp: 0, maxTokens, stopTokens })) text += t.text;
    return text;
  } finally {
    session.dispose();
  }
}

function chatIds(model: Model, messages: ChatMessage[]): { ids: number[]; stopTokens: number[] } {
  const tmpl = model.metadata('tokenizer.chat_template');
  const format = resolveChatFormat({ tokenizer: model.tokenizer, architecture: model.architecture, chatTemplate: typeof tmpl === 'string' ? tmpl : undefined });
  return { ids: renderConversationIds(format, model.tokenizer, messages, { addGenerationPrompt: true }).ids, stopTokens: format.stopTokens };
}

test('models.list shows the loaded model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), ['tiny']);
  assert.equal((await client.models.retrieve('tiny')).id, 'tiny');
});

test('chat completion (greedy) equals the library\'s generation, with usage', async () => {
  const r = await client.chat.completions.create({ model: 'tiny', messages: MESSAGES as OpenAI.ChatCompletionMessageParam[], max_tokens: 20, temperature: 0 });
  const { ids, stopTokens } = chatIds(tiny.model, MESSAGES);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0]!.message.role, 'assistant');
  assert.equal(r.choices[0]!.message.content, await libraryGreedy(tiny.model, ids, 20, stopTokens));
  assert.equal(r.usage!.prompt_tokens, ids.length);
  assert.ok(r.usage!.completion_tokens >= 1 && r.usage!.completion_tokens <= 20);
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
  assert.equal(r.choices[0]!.finish_reason, r.usage!.completion_tokens === 20 ? 'length' : 'stop');
});

test('streamed chat deltas add up to the non-streamed reply; usage comes last', async () => {
  const params = { model: 'tiny', messages: MESSAGES as OpenAI.ChatCompletionMessageParam[], max_tokens: 16, temperature: 0 };
  const whole = await client.chat.completions.create(params);
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.ok(chunks > 3, `only ${chunks} chunks: not streamed`);
  assert.equal(text, whole.choices[0]!.message.content);
  assert.equal(finish, whole.choices[0]!.finish_reason);
  assert.equal(usage?.completion_tokens, whole.usage!.completion_tokens);
  assert.equal(usage?.prompt_tokens, whole.usage!.prompt_tokens);
});

test('text completion (greedy) equals the library\'s generation; several prompts give several choices', async () => {
  const prompt = 'The quick brown fox';
  const r = await client.completions.create({ model: 'tiny', prompt, max_tokens: 12, temperature: 0 });
  const ids = tiny.model.encode(prompt, { addSpecial: true, parseSpecial: true });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0]!.text, await libraryGreedy(tiny.model, ids, 12));
  assert.equal(r.usage!.prompt_tokens, ids.length);

  const multi = await client.completions.create({ model: 'tiny', prompt: [prompt, 'Hello'], max_tokens: 12, temperature: 0 });
  assert.deepEqual(multi.choices.map((c) => c.index), [0, 1]);
  assert.equal(multi.choices[0]!.text, r.choices[0]!.text);
});

test('stop strings end the text before the match', async () => {
  const base = await client.completions.create({ model: 'tiny', prompt: 'Once', max_tokens: 24, temperature: 0 });
  const full = base.choices[0]!.text;
  assert.ok(full.length >= 6, `greedy text too short to cut: ${JSON.stringify(full)}`);
  const stop = full.slice(3, 6);
  const cut = await client.completions.create({ model: 'tiny', prompt: 'Once', max_tokens: 24, temperature: 0, stop: [stop] });
  assert.equal(cut.choices[0]!.text, full.slice(0, full.indexOf(stop)));
  assert.equal(cut.choices[0]!.finish_reason, 'stop');
});

test('embeddings (base64 by the client, and float) equal Model.embed', async () => {
  const inputs = ['red apples', 'a blue sky'];
  const expected = await tiny.model.embed(inputs);
  const r = await client.embeddings.create({ model: 'tiny', input: inputs });
  assert.equal(r.data.length, 2);
  r.data.forEach((d, i) => {
    assert.equal(d.index, i);
    assert.equal(d.embedding.length, tiny.model.config.dim);
    d.embedding.forEach((x, j) => assert.ok(Math.abs(x - expected[i]![j]!) < 1e-6));
  });
  assert.ok(r.usage.prompt_tokens > 0);
  const raw = await postJson(`${srv.url}/v1/embeddings`, { input: 'red apples', encoding_format: 'float' }, { authorization: `Bearer ${API_KEY}` });
  assert.equal(raw.status, 200);
  assert.deepEqual(raw.json.data[0].embedding, Array.from(expected[0]!));
});

test('json_object output parses, greedy and sampled with a seed, also when cut by max_tokens', async () => {
  const cases = [
    { temperature: 0, max_tokens: 40 },
    { temperature: 0.9, seed: 7, max_tokens: 40 },
    { temperature: 1.2, seed: 11, max_tokens: 9 },
    { temperature: 0.7, seed: 3, max_tokens: 64 },
  ];
  for (const c of cases) {
    const r = await client.chat.completions.create({
      model: 'tiny', messages: [{ role: 'user', content: 'Reply with a JSON object describing a cat.' }],
      response_format: { type: 'json_object' }, ...c,
    });
    const content = r.choices[0]!.message.content ?? '';
    let parsed: unknown;
    assert.doesNotThrow(() => { parsed = JSON.parse(content); }, `${JSON.stringify(c)}: ${JSON.stringify(content)}`);
    assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed));
    assert.ok(r.usage!.completion_tokens <= c.max_tokens);
  }
  // The same seed gives the same text.
  const again = async (): Promise<string> => (await client.chat.completions.create({
    model: 'tiny', messages: [{ role: 'user', content: 'cat' }], response_format: { type: 'json_object' }, temperature: 0.9, seed: 5, max_tokens: 30,
  })).choices[0]!.message.content!;
  assert.equal(await again(), await again());
});

test('a follow-up turn reuses the cached conversation (usage and header)', async () => {
  const first: ChatMessage[] = [{ role: 'user', content: 'Tell me a story about a small robot.' }];
  const r1 = await client.chat.completions.create({ model: 'tiny', messages: first as OpenAI.ChatCompletionMessageParam[], max_tokens: 8, temperature: 0 });
  const second = [...first, { role: 'assistant', content: r1.choices[0]!.message.content ?? '' }, { role: 'user', content: 'And then?' }];
  const raw = await postJson(`${srv.url}/v1/chat/completions`, { model: 'tiny', messages: second, max_tokens: 4, temperature: 0 }, { authorization: `Bearer ${API_KEY}` });
  assert.equal(raw.status, 200);
  const cached = raw.json.usage.prompt_tokens_details.cached_tokens as number;
  const firstPrompt = chatIds(tiny.model, first).ids.length;
  // At least the whole first prompt was in the cache (the reply's tokens too, where they re-tokenize the same).
  assert.ok(cached >= firstPrompt, `cached ${cached} < first prompt ${firstPrompt}`);
  assert.ok(cached < raw.json.usage.prompt_tokens);
  assert.equal(raw.headers.get('x-tsllama-cached-tokens'), String(cached));
});
