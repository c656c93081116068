// Chat over the tiny synthetic ChatML model: rendering, prefix reuse across turns (counted with
// session.nEvaluated), stopping at end-of-turn, aborts, context overflow, the template fallback warning.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ChatContextError, createChat, type Model } from '../../src/index.js';
import { commonPrefixLength } from '../../src/chat/prefix.js';
import { needData } from '../helpers/data.js';
import { collectIds, loadTestModel, writeTinyChatModel } from './tiny-model.js';

let model: Model;
let cleanup = (): void => {};
before(async () => {
  const tiny = writeTinyChatModel();
  cleanup = tiny.cleanup;
  model = await loadTestModel(tiny.path);
});
after(async () => {
  await model?.dispose();
  cleanup();
});

const imEnd = (): number => model.encode('<|im_end|>', { addSpecial: false, parseSpecial: true })[0];

test('format from the GGUF template: ChatML, <|im_end|> as a stop token id, no warning', () => {
  const chat = createChat(model);
  assert.equal(chat.format.name, 'chatml');
  assert.equal(chat.format.warning, undefined);
  assert.deepEqual(chat.format.stopTokens, [imEnd()]);
  assert.equal(model.piece(imEnd()), '<|im_end|>');
  assert.deepEqual(chat.format.stopStrings, []);
  chat.dispose();
});

test('renderText/renderIds: the whole conversation, special tokens parsed, generation prompt open', () => {
  const chat = createChat(model, { system: 'Be kind.' });
  chat.addUser('Hi there').addAssistant('Hello!').addUser('How are you?');
  const text = chat.renderText();
  assert.equal(text,
    '<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n' +
    '<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n');
  const ids = chat.renderIds();
  assert.deepEqual(ids, model.encode(text, { addSpecial: false, parseSpecial: true }));
  assert.equal(ids.filter((id) => id === imEnd()).length, 4);
  // Nothing is cached yet: the whole conversation is the next turn.
  assert.deepEqual(chat.renderTurn(), ids);
  chat.dispose();
});

test('multi-turn: each turn evaluates only its new tokens (session.nEvaluated)', async () => {
  const chat = createChat(model, { system: 'Be brief.' });
  const s = chat.session;
  chat.addUser('What is two plus two?');
  const turn1 = chat.renderTurn();
  assert.equal(turn1.length, chat.renderIds().length);
  let before = s.nEvaluated;
  const reply1 = await collectIds(chat.respond({ maxTokens: 6 }));
  assert.equal(s.stats().n_prompt, turn1.length);
  assert.equal(s.nEvaluated - before, s.nPast, 'first turn: the prompt plus the generated tokens, once each');
  assert.deepEqual(s.tokens.slice(0, turn1.length), turn1);
  assert.deepEqual(s.tokens.slice(turn1.length), reply1.slice(0, s.nPast - turn1.length));

  for (const question of ['And three plus three?', 'Thanks. One more?']) {
    chat.addUser(question);
    const all = chat.renderIds();
    const turn = chat.renderTurn();
    const kept = commonPrefixLength(s.tokens, all);
    assert.ok(kept >= turn1.length, `the first prompt stays cached (kept ${kept} of ${turn1.length})`);
    assert.deepEqual(turn, all.slice(kept));
    before = s.nEvaluated;
    await chat.respondText({ maxTokens: 4 });
    assert.equal(s.stats().n_prompt, turn.length, 'only the new tokens are prefilled');
    assert.equal(s.nEvaluated - before, s.nPast - kept, 'nothing before the kept prefix runs again');
    assert.ok(s.nEvaluated - before < all.length);
  }
  assert.deepEqual(chat.history.map((m) => m.role), ['system', 'user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  chat.dispose();
});

test('a turn answered from the cached prefix equals the same conversation rendered from scratch', async () => {
  const a = createChat(model, { system: 'S' });
  a.addUser('first question');
  const r1 = await a.respondText({ maxTokens: 5 });
  a.addUser('second question');
  const fromCache = await collectIds(a.respond({ maxTokens: 5 }));

  const b = createChat(model, { system: 'S' });
  b.addUser('first question').addAssistant(r1).addUser('second question');
  const fresh = await collectIds(b.respond({ maxTokens: 5 }));
  assert.deepEqual(fromCache, fresh);
  a.dispose();
  b.dispose();
});

test('respond stops at the end-of-turn token; the empty reply joins the history', async () => {
  const chat = createChat(model);
  chat.addUser('Say nothing');
  // Make <|im_end|> the certain choice.
  const ids = await collectIds(chat.respond({ maxTokens: 20, logitBias: { [imEnd()]: 1e4 } }));
  assert.deepEqual(ids, []);
  assert.equal(chat.lastStopReason, 'eog');
  assert.deepEqual(chat.history.at(-1), { role: 'assistant', content: '' });
  chat.dispose();
});

test('respondText returns the streamed text; a reply stopped by a stop string omits it', async () => {
  const chat = createChat(model);
  chat.addUser('Hello');
  const parts: string[] = [];
  for await (const t of chat.respond({ maxTokens: 8, seed: 5, temp: 0.8 })) parts.push(t.text);
  const streamed = parts.join('');
  assert.ok(streamed.length >= 3, `reply too short for this test: ${JSON.stringify(streamed)}`);
  assert.equal(chat.history.at(-1)?.content, streamed);

  const again = createChat(model);
  again.addUser('Hello');
  assert.equal(await again.respondText({ maxTokens: 8, seed: 5, temp: 0.8 }), streamed, 'same seed, same reply');
  // Stop at the second character of that reply: only the first character is returned.
  const cut = createChat(model);
  cut.addUser('Hello');
  const stop = streamed.slice(1, 3);
  const text = await cut.respondText({ maxTokens: 8, seed: 5, temp: 0.8, stop: [stop] });
  assert.equal(text, streamed.slice(0, streamed.indexOf(stop)));
  assert.equal(cut.lastStopReason, 'stop');
  for (const c of [chat, again, cut]) c.dispose();
});

test('abort mid-reply keeps the partial reply and the chat usable; so does breaking out of the loop', async () => {
  const chat = createChat(model);
  chat.addUser('Tell me a long story');
  const ac = new AbortController();
  let n = 0;
  let text = '';
  for await (const t of chat.respond({ maxTokens: 100, signal: ac.signal, logitBias: { [imEnd()]: -Infinity } })) {
    text += t.text;
    if (++n === 3) ac.abort();
  }
  assert.equal(n, 3);
  assert.equal(chat.lastStopReason, 'abort');
  assert.deepEqual(chat.history.at(-1), { role: 'assistant', content: text });

  chat.addUser('Go on');
  let m = 0;
  for await (const _ of chat.respond({ maxTokens: 100, logitBias: { [imEnd()]: -Infinity } })) if (++m === 2) break;
  assert.equal(chat.lastStopReason, 'abort');
  assert.equal(chat.history.at(-1)?.role, 'assistant');
  chat.addUser('Last one'); // not busy any more
  assert.equal((await collectIds(chat.respond({ maxTokens: 2 }))).length <= 2, true);
  chat.dispose();
});

test('misuse: respond without a user turn, adding while a reply streams', async () => {
  const chat = createChat(model);
  await assert.rejects(chat.respondText(), /add a user message first/);
  chat.addUser('hi');
  const it = chat.respond({ maxTokens: 3 });
  await it.next();
  assert.throws(() => chat.addUser('again'), /a reply is being generated/);
  await it.return(undefined as never);
  chat.addUser('again');
  chat.dispose();
  assert.throws(() => createChat(model, { overflow: 'sometimes' as 'error' }), /overflow must be/);
});

test('context overflow: a clear error by default, dropping the oldest turns when asked', async () => {
  const small = createChat(model, { contextLength: 48, system: 'S' });
  small.addUser('word '.repeat(60));
  await assert.rejects(small.respondText({ maxTokens: 2 }), (e: unknown) => e instanceof ChatContextError && /context is 48/.test(e.message));
  assert.equal(small.removeLastMessage()?.role, 'user');
  small.dispose();

  const rolling = createChat(model, { contextLength: 64, system: 'S', overflow: 'drop-oldest' });
  for (let i = 0; i < 4; i++) rolling.addUser(`question ${i} is here`).addAssistant(`answer ${i} is there`);
  rolling.addUser('final');
  const full = rolling.renderIds().length;
  assert.ok(full > 64, `the conversation (${full} tokens) must exceed the context for this test`);
  await rolling.respondText({ maxTokens: 8 });
  assert.ok(rolling.droppedTurns > 0);
  assert.equal(rolling.history[0].role, 'system');
  assert.equal(rolling.history[1].role, 'user');
  assert.ok(rolling.session.nPast <= 64);
  assert.equal(rolling.history.at(-2)?.content, 'final');
  rolling.dispose();
});

test('a given session is used and left open; reset keeps the system prompt and reuses the cache', async () => {
  const session = model.createSession({ contextLength: 256 });
  const chat = createChat(model, { session, system: 'Sys' });
  assert.equal(chat.session, session);
  chat.addUser('one');
  await chat.respondText({ maxTokens: 3 });
  chat.reset();
  assert.deepEqual(chat.history, [{ role: 'system', content: 'Sys' }]);
  chat.addUser('two');
  const systemPart = model.encode('<|im_start|>system\nSys<|im_end|>\n', { addSpecial: false, parseSpecial: true }).length;
  assert.ok(chat.renderIds().length - chat.renderTurn().length >= systemPart, 'the system prompt stays cached');
  chat.dispose();
  session.eval([1]); // still usable
  session.dispose();
});

test('a model without a chat template: built-in fallback, warned once per model', async (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const stories = await loadTestModel(paths[0]);
  const warnings: string[] = [];
  t.mock.method(console, 'warn', (msg: string) => { warnings.push(msg); });
  try {
    const a = createChat(stories);
    const b = createChat(stories);
    assert.equal(a.format.name, 'llama2');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /no tokenizer\.chat_template.*llama2/);
    a.addUser('Hi');
    // The Llama-2 template writes <s> itself: exactly one BOS.
    assert.equal(a.renderIds().filter((id) => id === stories.tokenizer.bos).length, 1);
    assert.equal(a.renderIds()[0], stories.tokenizer.bos);
    a.dispose();
    b.dispose();
  } finally {
    await stories.dispose();
  }
});
