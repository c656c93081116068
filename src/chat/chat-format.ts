// A model's chat format: which template renders its conversations, the BOS/EOS texts the template
// is given, and how an assistant turn ends (stop token ids, or stop strings when a marker is not
// one token). Built once per Chat from the GGUF's tokenizer.chat_template and vocabulary.
import type { Tokenizer } from '../tokenizer/types.js';
import { chooseChatTemplate, detectTemplateFamily } from './choose.js';
import { endOfTurnTokens } from './end-of-turn.js';
import { renderChatTemplate, type ChatMessage } from './render.js';
import { BUILTIN_TEMPLATES, type TemplateFamily } from './templates.js';

export interface ChatFormat {
  template: string;
  /** Template family ('chatml', 'llama3', ...) or 'custom'. */
  name: string;
  bosText: string;
  eosText: string;
  /** Ids that end an assistant turn (end-of-turn markers that are single tokens). */
  stopTokens: number[];
  /** End-of-turn markers that are not single tokens in this vocabulary, matched on the text. */
  stopStrings: string[];
  /** Set when a built-in template stands in for a missing one. */
  warning?: string;
}

/** What a chat format is read from: the model's tokenizer, architecture and chat template metadata. */
export interface ChatFormatSource {
  tokenizer: Tokenizer;
  architecture: string;
  chatTemplate?: string;
}

/** The id of `text` when the vocabulary holds it as one token (e.g. '<|im_end|>'), else null. */
export function singleTokenId(tokenizer: Tokenizer, text: string): number | null {
  const ids = tokenizer.encode(text, { addSpecial: false, parseSpecial: true });
  return ids.length === 1 && tokenizer.tokenText(ids[0]) === text ? ids[0] : null;
}

/**
 * `template` overrides the model's: a built-in family name ('chatml', 'llama3', 'phi3', 'gemma',
 * 'llama2') or the Jinja text of a template.
 */
export function resolveChatFormat(src: ChatFormatSource, template?: string): ChatFormat {
  const tok = src.tokenizer;
  let chosen: { template: string; name: string; warning?: string };
  if (template !== undefined && template in BUILTIN_TEMPLATES) {
    chosen = { template: BUILTIN_TEMPLATES[template as TemplateFamily], name: template };
  } else if (template !== undefined) {
    if (template.trim() === '') throw new Error('chat template is empty');
    chosen = { template, name: detectTemplateFamily(template) };
  } else {
    chosen = chooseChatTemplate({
      chatTemplate: src.chatTemplate,
      architecture: src.architecture,
      hasToken: (text) => singleTokenId(tok, text) !== null,
    });
  }
  const stopTokens: number[] = [];
  const stopStrings: string[] = [];
  for (const marker of endOfTurnTokens(chosen.name, chosen.template)) {
    const id = singleTokenId(tok, marker);
    if (id !== null) stopTokens.push(id);
    else stopStrings.push(marker);
  }
  return {
    template: chosen.template,
    name: chosen.name,
    bosText: tok.bos !== null ? tok.piece(tok.bos) : '',
    eosText: tok.eos !== null ? tok.piece(tok.eos) : '',
    stopTokens,
    stopStrings,
    warning: chosen.warning,
  };
}

/**
 * Renders a conversation and tokenizes it as llama.cpp's chat does: special-token text is parsed,
 * and BOS is added by the tokenizer only when the rendered text does not already begin with it.
 */
export function renderConversationIds(
  format: ChatFormat,
  tokenizer: Tokenizer,
  messages: ChatMessage[],
  opts: { addGenerationPrompt: boolean; extra?: Record<string, unknown> },
): { text: string; ids: number[] } {
  const text = renderChatTemplate(format.template, messages, {
    bosToken: format.bosText,
    eosToken: format.eosText,
    addGenerationPrompt: opts.addGenerationPrompt,
    extra: opts.extra,
  });
  const startsWithBos = format.bosText !== '' && text.startsWith(format.bosText);
  // addSpecial would also append EOS for add_eos models, which must not close an open assistant turn.
  const ids = tokenizer.encode(text, { addSpecial: false, parseSpecial: true });
  if (!startsWithBos && tokenizer.addBos && tokenizer.bos !== null) ids.unshift(tokenizer.bos);
  return { text, ids };
}
