// Built-in fallback templates: each renders known conversations to strings written by hand from the
// family's prompt format, and Python jinja2 (when present) renders them identically.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { renderChatTemplate, type ChatMessage } from '../../src/chat/render.js';
import { BUILTIN_TEMPLATES, type TemplateFamily } from '../../src/chat/templates.js';
import { openReference } from './jinja-reference.js';
import { NO_SYSTEM, THREE_TURNS } from './fixtures.js';

const TOKENS: Record<TemplateFamily, { bos: string; eos: string }> = {
  chatml: { bos: '', eos: '<|im_end|>' },
  llama2: { bos: '<s>', eos: '</s>' },
  llama3: { bos: '<|begin_of_text|>', eos: '<|end_of_text|>' },
  phi3: { bos: '<s>', eos: '<|endoftext|>' },
  gemma: { bos: '<bos>', eos: '<eos>' },
};

const { ref, reason } = openReference();
after(() => ref?.close());

async function render(t: TestContext, family: TemplateFamily, messages: ChatMessage[], addGenerationPrompt: boolean): Promise<string> {
  const { bos, eos } = TOKENS[family];
  const template = BUILTIN_TEMPLATES[family];
  const ours = renderChatTemplate(template, messages, { bosToken: bos, eosToken: eos, addGenerationPrompt });
  if (!ref) t.diagnostic(`python reference skipped: ${reason}`);
  else {
    const expected = await ref.render(template, { messages, bos_token: bos, eos_token: eos, add_generation_prompt: addGenerationPrompt });
    assert.equal(ours, expected, `${family}: differs from Python jinja2`);
  }
  return ours;
}

test('ChatML', async (t) => {
  assert.equal(
    await render(t, 'chatml', THREE_TURNS, true),
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
      '<|im_start|>assistant\nIt is 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(await render(t, 'chatml', [{ role: 'user', content: 'Hi' }], false), '<|im_start|>user\nHi<|im_end|>\n');
});

test('Llama-2: system inside the first [INST], answers closed by eos', async (t) => {
  assert.equal(
    await render(t, 'llama2', THREE_TURNS, true),
    '<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nWhat is 2+2? [/INST] It is 4. </s><s>[INST] And 3+3? [/INST]',
  );
  assert.equal(await render(t, 'llama2', NO_SYSTEM, true), '<s>[INST] What is 2+2? [/INST] It is 4. </s><s>[INST] And 3+3? [/INST]');
});

test('Llama-3', async (t) => {
  assert.equal(
    await render(t, 'llama3', THREE_TURNS, true),
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\nIt is 4.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\n',
  );
  assert.equal(
    await render(t, 'llama3', NO_SYSTEM.slice(0, 1), false),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>',
  );
});

test('Phi-3: system kept, one <|role|> block per message', async (t) => {
  assert.equal(
    await render(t, 'phi3', THREE_TURNS, true),
    '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n' +
      '<|assistant|>\nIt is 4.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n',
  );
});

test('Gemma: system folded into the first user turn, assistant called model', async (t) => {
  assert.equal(
    await render(t, 'gemma', THREE_TURNS, true),
    '<bos><start_of_turn>user\nYou are a helpful assistant.\n\nWhat is 2+2?<end_of_turn>\n' +
      '<start_of_turn>model\nIt is 4.<end_of_turn>\n<start_of_turn>user\nAnd 3+3?<end_of_turn>\n<start_of_turn>model\n',
  );
  assert.equal(
    await render(t, 'gemma', NO_SYSTEM, false),
    '<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\nIt is 4.<end_of_turn>\n' +
      '<start_of_turn>user\nAnd 3+3?<end_of_turn>\n',
  );
});

test('render errors name the problem', () => {
  assert.throws(() => renderChatTemplate('{% for %}', THREE_TURNS, {}), /chat template does not parse/);
  assert.throws(
    () => renderChatTemplate("{{ raise_exception('roles must alternate') }}", THREE_TURNS, {}),
    /chat template failed to render: .*roles must alternate/,
  );
  assert.throws(
    () => renderChatTemplate(BUILTIN_TEMPLATES.chatml, [{ role: 'user' } as unknown as ChatMessage], {}),
    /message 0 needs a string role and a string content/,
  );
});
