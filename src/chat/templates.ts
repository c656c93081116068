// Built-in chat templates for models whose GGUF carries no tokenizer.chat_template.
// Written from each family's published prompt format; bos_token appears where the family's own
// template puts it (Llama-2 before every [INST], Llama-3 and Gemma once at the start).

export type TemplateFamily = 'chatml' | 'llama2' | 'llama3' | 'phi3' | 'gemma';

/** <|im_start|>{role}\n{content}<|im_end|>\n per message (Qwen, SmolLM, many fine-tunes). */
const CHATML = `{%- for message in messages -%}
{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|im_start|>assistant\\n' -}}
{%- endif -%}`;

/**
 * Llama-2-chat: the system prompt goes inside the first user turn between <<SYS>> markers;
 * each user turn is <s>[INST] ... [/INST], each answer " {answer} </s>". The [/INST] already
 * invites the answer, so there is no separate generation prompt.
 */
const LLAMA2 = `{%- if messages and messages[0]['role'] == 'system' -%}
{%- set system = '<<SYS>>\\n' + messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' -%}
{%- set loop_messages = messages[1:] -%}
{%- else -%}
{%- set system = '' -%}
{%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
{%- if message['role'] == 'user' -%}
{{- bos_token + '[INST] ' + (system if loop.first else '') + message['content'] | trim + ' [/INST]' -}}
{%- elif message['role'] == 'assistant' -%}
{{- ' ' + message['content'] | trim + ' ' + eos_token -}}
{%- endif -%}
{%- endfor -%}`;

/** Llama-3: <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>. */
const LLAMA3 = `{{- bos_token -}}
{%- for message in messages -%}
{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
{%- endif -%}`;

/** Phi-3: <|{role}|>\n{content}<|end|>\n, system included (as Phi-3.5 and llama.cpp's phi3 format). */
const PHI3 = `{%- for message in messages -%}
{{- '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|assistant|>\\n' -}}
{%- endif -%}`;

/**
 * Gemma: <start_of_turn>{user|model}\n{content}<end_of_turn>\n. Gemma has no system role:
 * the system prompt is prepended to the first user turn, separated by a blank line (as Gemma 3's template).
 */
const GEMMA = `{{- bos_token -}}
{%- if messages and messages[0]['role'] == 'system' -%}
{%- set system = messages[0]['content'] | trim + '\\n\\n' -%}
{%- set loop_messages = messages[1:] -%}
{%- else -%}
{%- set system = '' -%}
{%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
{{- '<start_of_turn>' + role + '\\n' + (system if loop.first else '') + message['content'] | trim + '<end_of_turn>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<start_of_turn>model\\n' -}}
{%- endif -%}`;

export const BUILTIN_TEMPLATES: Readonly<Record<TemplateFamily, string>> = {
  chatml: CHATML,
  llama2: LLAMA2,
  llama3: LLAMA3,
  phi3: PHI3,
  gemma: GEMMA,
};
