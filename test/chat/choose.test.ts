import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseChatTemplate, detectTemplateFamily } from '../../src/chat/choose.js';
import { endOfTurnTokens } from '../../src/chat/end-of-turn.js';
import { commonPrefixLength } from '../../src/chat/prefix.js';
import { BUILTIN_TEMPLATES } from '../../src/chat/templates.js';

const vocab = (...tokens: string[]) => (text: string): boolean => tokens.includes(text);

test("the model's own template wins, named by its family, without a warning", () => {
  const own = '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}';
  const r = chooseChatTemplate({ chatTemplate: own, architecture: 'llama', hasToken: vocab() });
  assert.deepEqual(r, { template: own, name: 'chatml' });
  assert.equal(chooseChatTemplate({ chatTemplate: '{{ messages[0].content }}', architecture: 'x', hasToken: vocab() }).name, 'custom');
});

test('without a template: chosen by special tokens first, then architecture, with a warning', () => {
  const cases: Array<[string, string[], string, RegExp]> = [
    ['llama', ['<|im_start|>', '<|im_end|>'], 'chatml', /vocabulary has <\|im_start\|> and <\|im_end\|>/],
    ['llama', ['<|start_header_id|>', '<|eot_id|>'], 'llama3', /vocabulary has/],
    ['gemma2', ['<start_of_turn>', '<end_of_turn>'], 'gemma', /vocabulary has/],
    ['llama', ['<|user|>', '<|end|>'], 'phi3', /vocabulary has/],
    ['phi3', [], 'phi3', /architecture phi3/],
    ['gemma3', [], 'gemma', /architecture gemma3/],
    ['llama', [], 'llama2', /architecture llama/],
    ['qwen2', [], 'chatml', /architecture qwen2/],
    ['llama', ['<|im_start|>'], 'llama2', /architecture llama/], // one marker alone is not enough
  ];
  for (const [architecture, tokens, name, why] of cases) {
    const r = chooseChatTemplate({ chatTemplate: '  ', architecture, hasToken: vocab(...tokens) });
    assert.equal(r.name, name, `${architecture} + [${tokens}]`);
    assert.equal(r.template, BUILTIN_TEMPLATES[r.name as keyof typeof BUILTIN_TEMPLATES]);
    assert.match(r.warning ?? '', /no tokenizer\.chat_template/);
    assert.match(r.warning ?? '', why);
  }
});

test('template families are recognized by their markers', () => {
  for (const [family, template] of Object.entries(BUILTIN_TEMPLATES)) assert.equal(detectTemplateFamily(template), family);
});

test('end-of-turn strings per family, plus markers found in the template text', () => {
  assert.deepEqual(endOfTurnTokens('chatml', BUILTIN_TEMPLATES.chatml), ['<|im_end|>']);
  assert.deepEqual(endOfTurnTokens('llama3', BUILTIN_TEMPLATES.llama3), ['<|eot_id|>']);
  assert.deepEqual(endOfTurnTokens('phi3', BUILTIN_TEMPLATES.phi3), ['<|end|>']);
  assert.deepEqual(endOfTurnTokens('gemma', BUILTIN_TEMPLATES.gemma), ['<end_of_turn>']);
  assert.deepEqual(endOfTurnTokens('llama2', BUILTIN_TEMPLATES.llama2), []);
  assert.deepEqual(endOfTurnTokens('llama3', '...<|eot_id|>...<|eom_id|>'), ['<|eot_id|>', '<|eom_id|>']);
  assert.deepEqual(endOfTurnTokens('custom', '{{ m.content }}<|END_OF_TURN_TOKEN|>'), ['<|END_OF_TURN_TOKEN|>']);
  assert.deepEqual(endOfTurnTokens('custom', '{{ m.content }}'), []);
});

test('commonPrefixLength', () => {
  assert.equal(commonPrefixLength([1, 2, 3, 4], [1, 2, 9]), 2);
  assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(commonPrefixLength([5], [6]), 0);
  assert.equal(commonPrefixLength([7, 8], [7, 8]), 2);
});
