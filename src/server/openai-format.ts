// Response bodies in the OpenAI API's shapes: chat completions, text completions (whole and as
// stream chunks), usage, models and embeddings.
import { randomUUID } from 'node:crypto';
import type { FinishReason, JobResult } from './job.js';

export type CompletionKind = 'chat' | 'text';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function usageOf(results: readonly JobResult[]): Usage {
  const prompt = results.reduce((n, r) => n + r.promptTokens, 0);
  const completion = results.reduce((n, r) => n + r.completionTokens, 0);
  const cached = results.reduce((n, r) => n + r.cachedTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

/** Identity shared by a response and all of its stream chunks. */
export interface ResponseHead {
  id: string;
  created: number;
  model: string;
}

/**
 * The id is 24 hex digits of a random UUID: randomUUID draws from a cached batch of random bytes,
 * where randomBytes(12) asked the system for entropy each time (~25 µs of a request's server time).
 */
export function newResponseHead(kind: CompletionKind, model: string): ResponseHead {
  const hex = randomUUID().replace(/-/g, '').slice(0, 24);
  return { id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${hex}`, created: Math.floor(Date.now() / 1000), model };
}

export function completionBody(kind: CompletionKind, head: ResponseHead, results: readonly JobResult[]): object {
  if (kind === 'chat') {
    return {
      ...head,
      object: 'chat.completion',
      choices: results.map((r, index) => ({
        index, message: { role: 'assistant', content: r.text }, logprobs: null, finish_reason: r.finishReason,
      })),
      usage: usageOf(results),
    };
  }
  return {
    ...head,
    object: 'text_completion',
    choices: results.map((r, index) => ({ index, text: r.text, logprobs: null, finish_reason: r.finishReason })),
    usage: usageOf(results),
  };
}

/** The chunk that opens a chat stream choice (the role, no content yet); text streams have none. */
export function roleChunk(head: ResponseHead, index: number): object {
  return { ...head, object: 'chat.completion.chunk', choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] };
}

/** A piece of text, or (text '' and a finish reason) the end of one choice. */
export function textChunk(kind: CompletionKind, head: ResponseHead, index: number, text: string, finish: FinishReason | null): object {
  if (kind === 'chat') {
    const delta = finish && !text ? {} : { content: text };
    return { ...head, object: 'chat.completion.chunk', choices: [{ index, delta, logprobs: null, finish_reason: finish }] };
  }
  return { ...head, object: 'text_completion', choices: [{ index, text, logprobs: null, finish_reason: finish }] };
}

/**
 * JSON.stringify(textChunk(kind, head, index, text, null)) for a stream's text pieces, with the JSON
 * around the text built once: a chunk goes out per generated token, and re-serializing the constant
 * id / model / object fields each time was a measurable part of a small model's per-token cost.
 */
export function textChunkSerializer(kind: CompletionKind, head: ResponseHead, index: number): (text: string) => string {
  const slot = 'tsllama_text_slot';
  const [before, after, extra] = JSON.stringify(textChunk(kind, head, index, slot, null)).split(`"${slot}"`);
  // the slot string is ours and the head's fields are an id, a model name and a number
  if (after === undefined || extra !== undefined) return (text) => JSON.stringify(textChunk(kind, head, index, text, null));
  return (text) => before + JSON.stringify(text) + after;
}

/** The last chunk when stream_options.include_usage is set: no choices, the usage of the whole request. */
export function usageChunk(kind: CompletionKind, head: ResponseHead, results: readonly JobResult[]): object {
  return { ...head, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', choices: [], usage: usageOf(results) };
}
