// Picks the chat template for a model: its own (GGUF tokenizer.chat_template) when present,
// else a built-in one chosen from the special tokens in its vocabulary, then its architecture.
import { BUILTIN_TEMPLATES, type TemplateFamily } from './templates.js';

export interface ChosenTemplate {
  template: string;
  /** The template family ('chatml', 'llama3', ...), or 'custom' for a model template of no known family. */
  name: TemplateFamily | 'custom';
  /** Set when a built-in template stands in for a missing one. */
  warning?: string;
}

/** The family a template's text belongs to, recognized by its turn markers. */
export function detectTemplateFamily(template: string): TemplateFamily | 'custom' {
  if (template.includes('<|im_start|>')) return 'chatml';
  if (template.includes('<|start_header_id|>')) return 'llama3';
  if (template.includes('<start_of_turn>')) return 'gemma';
  if (template.includes('<|end|>') && (template.includes('<|user|>') || template.includes('<|assistant|>'))) return 'phi3';
  if (template.includes('[INST]')) return 'llama2';
  return 'custom';
}

/** Marker tokens that identify a family's format in a vocabulary, most specific first. */
const FAMILY_TOKENS: ReadonlyArray<[TemplateFamily, string[]]> = [
  ['chatml', ['<|im_start|>', '<|im_end|>']],
  ['llama3', ['<|start_header_id|>', '<|eot_id|>']],
  ['gemma', ['<start_of_turn>', '<end_of_turn>']],
  ['phi3', ['<|user|>', '<|end|>']],
];

function familyForArchitecture(arch: string): TemplateFamily {
  if (arch === 'phi3') return 'phi3';
  if (arch.startsWith('gemma')) return 'gemma';
  if (arch === 'llama') return 'llama2';
  return 'chatml';
}

export function chooseChatTemplate(info: {
  chatTemplate?: string;
  architecture: string;
  hasToken: (text: string) => boolean;
}): ChosenTemplate {
  if (info.chatTemplate && info.chatTemplate.trim() !== '') {
    return { template: info.chatTemplate, name: detectTemplateFamily(info.chatTemplate) };
  }
  const byTokens = FAMILY_TOKENS.find(([, tokens]) => tokens.every((t) => info.hasToken(t)));
  const name = byTokens ? byTokens[0] : familyForArchitecture(info.architecture);
  const reason = byTokens
    ? `its vocabulary has ${byTokens[1].join(' and ')}`
    : `architecture ${info.architecture}`;
  return {
    template: BUILTIN_TEMPLATES[name],
    name,
    warning: `the model has no tokenizer.chat_template; using the built-in ${name} template (chosen by ${reason})`,
  };
}
