// Parsing and validating the bodies of /v1/chat/completions, /v1/completions and /v1/embeddings
// into what the handlers need. Unknown fields are ignored, as OpenAI-compatible servers do.
import type { ChatMessage } from '../chat/render.js';
import type { SamplingParams } from '../sampling/params.js';
import { invalidParam } from './errors.js';
import { describe, optBoolean, optLogitBias, optNumber, optObject, optStop, optString, type Body } from './request-fields.js';

/** llama.cpp server's sampling defaults, used where a request leaves a parameter out. */
export const SERVER_SAMPLING_DEFAULTS = { temp: 0.8, topK: 40, topP: 0.95, minP: 0.05 } as const;

export interface GenerationOptions {
  /** The `model` field, if given. */
  model?: string;
  /** max_completion_tokens ?? max_tokens; undefined = until the context is full. */
  maxTokens?: number;
  sampling: SamplingParams;
  stop: string[];
  stream: boolean;
  /** stream_options.include_usage */
  includeUsage: boolean;
  /** response_format { type: 'json_object' } */
  json: boolean;
  /** llama.cpp extension: never stop on (ban) the end-of-generation tokens. */
  ignoreEos: boolean;
}

export function parseGenerationOptions(body: Body, nVocab: number): GenerationOptions {
  const n = optNumber(body, 'n', { integer: true, min: 1 });
  if (n !== undefined && n !== 1) throw invalidParam('n', `only n = 1 is supported, got ${n}`, 'unsupported_value');
  const maxTokens = optNumber(body, 'max_completion_tokens', { integer: true, min: 1 }) ?? optNumber(body, 'max_tokens', { integer: true, min: 1 });
  const streamOptions = optObject(body, 'stream_options');
  const includeUsage = streamOptions ? optBoolean(streamOptions, 'include_usage') ?? false : false;
  const stream = optBoolean(body, 'stream') ?? false;

  const sampling: SamplingParams = {
    temp: optNumber(body, 'temperature', { min: 0, max: 100 }) ?? SERVER_SAMPLING_DEFAULTS.temp,
    topP: optNumber(body, 'top_p', { min: 0, max: 1 }) ?? SERVER_SAMPLING_DEFAULTS.topP,
    // top_k, min_p and repeat_penalty are llama.cpp extensions of the OpenAI API.
    topK: optNumber(body, 'top_k', { integer: true, min: 0 }) ?? SERVER_SAMPLING_DEFAULTS.topK,
    minP: optNumber(body, 'min_p', { min: 0, max: 1 }) ?? SERVER_SAMPLING_DEFAULTS.minP,
    repeatPenalty: optNumber(body, 'repeat_penalty', { min: 0.01, max: 10 }),
    presencePenalty: optNumber(body, 'presence_penalty', { min: -2, max: 2 }),
    frequencyPenalty: optNumber(body, 'frequency_penalty', { min: -2, max: 2 }),
    seed: optNumber(body, 'seed', { integer: true }),
    logitBias: optLogitBias(body, nVocab),
  };
  return {
    model: optString(body, 'model'),
    maxTokens,
    sampling,
    stop: optStop(body),
    stream,
    includeUsage,
    json: parseResponseFormat(body),
    ignoreEos: optBoolean(body, 'ignore_eos') ?? false,
  };
}

function parseResponseFormat(body: Body): boolean {
  const rf = optObject(body, 'response_format');
  if (!rf) return false;
  const type = rf.type;
  if (type === 'text') return false;
  if (type === 'json_object') return true;
  if (type === 'json_schema') throw invalidParam('response_format', 'response_format json_schema is not supported; use { "type": "json_object" }', 'unsupported_value');
  throw invalidParam('response_format', `response_format.type must be "text" or "json_object", got ${describe(type)}`);
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** `messages`: a non-empty array of { role, content } with string (or text-part array) content. */
export function parseChatMessages(body: Body): ChatMessage[] {
  const v = body.messages;
  if (v === undefined || v === null) throw invalidParam('messages', 'messages is required', 'missing_required_parameter');
  if (!Array.isArray(v)) throw invalidParam('messages', `messages must be an array, got ${describe(v)}`, 'invalid_type');
  if (v.length === 0) throw invalidParam('messages', 'messages must not be empty');
  return v.map((m: unknown, i): ChatMessage => {
    const param = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidParam(param, `${param} must be an object, got ${describe(m)}`, 'invalid_type');
    const { role, content } = m as Body;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalidParam(`${param}.role`, `${param}.role must be one of ${[...ROLES].join(', ')}, got ${describe(role)}`);
    }
    // Templates know 'system'; OpenAI's newer 'developer' role means the same.
    return { role: role === 'developer' ? 'system' : role, content: messageText(content, role, `${param}.content`) };
  });
}

function messageText(content: unknown, role: string, param: string): string {
  if (typeof content === 'string') return content;
  if ((content === null || content === undefined) && role === 'assistant') return '';
  if (Array.isArray(content)) {
    return content.map((part: unknown, j) => {
      const p = part as Body | null;
      if (typeof p !== 'object' || p === null || p.type !== 'text' || typeof p.text !== 'string') {
        throw invalidParam(`${param}[${j}]`, `${param}[${j}] must be a text part { "type": "text", "text": "..." } (only text is supported)`);
      }
      return p.text;
    }).join('');
  }
  throw invalidParam(param, `${param} must be a string or an array of text parts, got ${describe(content)}`, 'invalid_type');
}

/** `prompt`: a string, token ids, or an array of either (one completion each); at most 16 prompts. */
export function parseCompletionPrompts(body: Body, nVocab: number): (string | number[])[] {
  const v = body.prompt;
  if (v === undefined || v === null) throw invalidParam('prompt', 'prompt is required', 'missing_required_parameter');
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.length === 0) throw invalidParam('prompt', `prompt must be a string, an array of strings or an array of token ids, got ${describe(v)}`, 'invalid_type');
  if (v.every((x) => typeof x === 'number')) return [tokenIds(v, nVocab, 'prompt')];
  const prompts = v.map((p: unknown, i) => {
    if (typeof p === 'string') return p;
    if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number')) return tokenIds(p, nVocab, `prompt[${i}]`);
    throw invalidParam(`prompt[${i}]`, `prompt[${i}] must be a string or a non-empty array of token ids, got ${describe(p)}`, 'invalid_type');
  });
  if (prompts.length > 16) throw invalidParam('prompt', `at most 16 prompts per request, got ${prompts.length}`);
  return prompts;
}

function tokenIds(ids: number[], nVocab: number, param: string): number[] {
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= nVocab) throw invalidParam(param, `${param} holds ${id}, not a token id in [0, ${nVocab})`);
  }
  return ids;
}

export interface EmbeddingRequest {
  model?: string;
  inputs: string[];
  encoding: 'float' | 'base64';
}

export function parseEmbeddingRequest(body: Body): EmbeddingRequest {
  const v = body.input;
  if (v === undefined || v === null) throw invalidParam('input', 'input is required', 'missing_required_parameter');
  const inputs = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((s) => typeof s === 'string')) {
    throw invalidParam('input', `input must be a string or a non-empty array of strings (token arrays are not supported), got ${describe(v)}`, 'invalid_type');
  }
  if (inputs.length > 2048) throw invalidParam('input', `at most 2048 inputs per request, got ${inputs.length}`);
  const encoding = optString(body, 'encoding_format') ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') throw invalidParam('encoding_format', `encoding_format must be "float" or "base64", got "${encoding}"`);
  return { model: optString(body, 'model'), inputs: inputs as string[], encoding };
}
