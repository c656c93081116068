// The strings that close an assistant turn, to use as stop tokens / stop strings.
import type { TemplateFamily } from './templates.js';

const FAMILY_END_OF_TURN: Readonly<Record<TemplateFamily, string[]>> = {
  chatml: ['<|im_end|>'],
  llama3: ['<|eot_id|>'],
  phi3: ['<|end|>'],
  gemma: ['<end_of_turn>'],
  llama2: [], // turns end with the EOS token, which the caller stops on anyway
};

/** End-of-turn markers recognized in any template's text (covers custom templates too). */
const KNOWN_END_MARKERS = [
  '<|im_end|>',
  '<|eot_id|>',
  '<|eom_id|>', // Llama 3.1: end of a tool-calling message
  '<|end|>',
  '<end_of_turn>',
  '<|END_OF_TURN_TOKEN|>', // Command-R
  '<|endofturn|>',
];

/**
 * End-of-turn strings for a template: the family's own marker, plus every known marker that
 * appears in the template text. Example: ('chatml', qwenTemplate) → ['<|im_end|>'].
 */
export function endOfTurnTokens(templateName: string, template: string): string[] {
  const out = new Set<string>(FAMILY_END_OF_TURN[templateName as TemplateFamily] ?? []);
  for (const m of KNOWN_END_MARKERS) if (template.includes(m)) out.add(m);
  return [...out];
}
