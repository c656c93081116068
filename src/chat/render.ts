// Renders a chat template (Jinja, as in Hugging Face tokenizer_config.json / GGUF tokenizer.chat_template)
// with @huggingface/jinja, which follows transformers' setup: trim_blocks and lstrip_blocks on,
// `tojson`, `raise_exception` and `strftime_now` available.
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  content: string;
  /** Extra fields some templates read (e.g. Qwen3's reasoning_content and tool_calls) are passed through. */
  [field: string]: unknown;
}

export interface RenderOptions {
  bosToken?: string;
  eosToken?: string;
  /** Append the opening of an assistant turn, so the model continues as the assistant. */
  addGenerationPrompt?: boolean;
  /** More template variables, e.g. { enable_thinking: false } or { tools: [...] }. */
  extra?: Record<string, unknown>;
}

export class ChatTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateError';
  }
}

// Parsed templates by source text: a chat re-renders the same template every turn.
const parsed = new Map<string, Template>();
const MAX_CACHED = 16;

function parse(template: string): Template {
  let t = parsed.get(template);
  if (t) return t;
  try {
    t = new Template(template);
  } catch (e) {
    throw new ChatTemplateError(`chat template does not parse: ${(e as Error).message}`);
  }
  if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
  parsed.set(template, t);
  return t;
}

export function renderChatTemplate(template: string, messages: ChatMessage[], opts: RenderOptions = {}): string {
  for (const [i, m] of messages.entries()) {
    if (typeof m?.role !== 'string' || typeof m.content !== 'string') {
      throw new ChatTemplateError(`message ${i} needs a string role and a string content`);
    }
  }
  const t = parse(template);
  try {
    return t.render({
      ...opts.extra,
      messages,
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
      add_generation_prompt: opts.addGenerationPrompt ?? false,
    });
  } catch (e) {
    throw new ChatTemplateError(`chat template failed to render: ${(e as Error).message}`);
  }
}
