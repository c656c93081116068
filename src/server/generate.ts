// The generation path shared by /v1/chat/completions and /v1/completions: prompt ids → jobs on the
// scheduler → one JSON response, or Server-Sent Events as tokens arrive. A client that goes away
// cancels its jobs at once, which frees their slots.
import type { ServerResponse } from 'node:http';
import { JsonConstraint } from '../sampling/json-constraint.js';
import { Sampler } from '../sampling/sampler.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { ServerContext } from './context.js';
import { ApiError, invalidParam, toApiError } from './errors.js';
import { sendError, sendJson } from './http-io.js';
import type { Job, JobResult } from './job.js';
import { completionBody, newResponseHead, roleChunk, textChunk, textChunkSerializer, usageChunk, type CompletionKind } from './openai-format.js';
import { QueueFullError } from './scheduler.js';
import type { GenerationOptions } from './request.js';
import { SseStream } from './sse.js';

export interface GenerationInput {
  kind: CompletionKind;
  options: GenerationOptions;
  /** Token ids of each prompt (one choice each). */
  prompts: number[][];
  /** End-of-turn ids and strings of the chat template (none for plain completions). */
  endTokens: readonly number[];
  endStrings: readonly string[];
  /** The request field the prompt came from, for error messages. */
  promptParam: string;
}

export async function serveGeneration(ctx: ServerContext, res: ServerResponse, input: GenerationInput): Promise<void> {
  const { kind, options: o } = input;
  const nCtx = ctx.scheduler.contextLength;
  for (const ids of input.prompts) {
    if (ids.length === 0) throw invalidParam(input.promptParam, 'the prompt has no tokens');
    if (ids.length >= nCtx) {
      throw invalidParam(input.promptParam, `the prompt is ${ids.length} tokens; this server's context is ${nCtx} tokens per request`, 'context_length_exceeded');
    }
  }
  const head = newResponseHead(kind, ctx.modelId);
  const sse = o.stream ? new SseStream(res) : null;
  const stopTokens = new Set(input.endTokens);
  const stopStrings = [...input.endStrings, ...o.stop];

  // Chunks (serialized) produced before every choice has a slot wait here, so the headers can report the cached tokens of all.
  let buffered: string[] | null = [];
  let started = 0;
  let cachedTotal = 0;
  const push = (json: string): void => {
    if (buffered) buffered.push(json);
    else sse!.sendSerialized(json);
  };

  const jobs: Job[] = [];
  const cancelAll = (reason: string): void => { for (const j of jobs) j.cancel(reason); };
  try {
    input.prompts.forEach((ids, index) => {
      const maxTokens = Math.min(o.maxTokens ?? Infinity, nCtx - ids.length);
      const sampler = newSampler(o, ctx.model.tokenizer);
      const serializeText = sse ? textChunkSerializer(kind, head, index) : null;
      if (o.json) sampler.setConstraint(new JsonConstraint(ctx.model.tokenizer, { endTokens: input.endTokens, maxTokens }));
      jobs.push(ctx.scheduler.submit({
        promptIds: ids,
        maxTokens,
        sampler,
        stopStrings,
        stopTokens,
        onStart: ({ cachedTokens }) => {
          cachedTotal += cachedTokens;
          if (!sse) return;
          if (kind === 'chat') push(JSON.stringify(roleChunk(head, index)));
          if (++started === input.prompts.length) {
            sse.open({ 'x-tsllama-cached-tokens': String(cachedTotal) });
            for (const c of buffered!) sse.sendSerialized(c);
            buffered = null;
          }
        },
        onText: serializeText ? (text) => push(serializeText(text)) : undefined,
      }));
    });
  } catch (e) {
    cancelAll('request refused');
    if (e instanceof QueueFullError) {
      throw new ApiError(503, `${e.message}; retry later`, 'server_error', null, 'server_busy', { 'retry-after': String(ctx.retryAfterSeconds) });
    }
    throw e;
  }

  res.on('close', () => {
    if (!res.writableFinished) cancelAll('the client disconnected');
  });
  if (res.destroyed) cancelAll('the client disconnected'); // gone before we listened

  let results: JobResult[];
  try {
    results = await Promise.all(jobs.map(async (job, index) => {
      const r = await job.done;
      if (sse) push(JSON.stringify(textChunk(kind, head, index, '', r.finishReason)));
      return r;
    }));
  } catch (e) {
    cancelAll('another choice failed');
    if (res.destroyed) return; // the client is gone: nobody to tell
    if (sse && res.headersSent) sse.fail(toApiError(e).toJSON());
    else sendError(res, toApiError(e));
    return;
  }
  if (sse) {
    if (o.includeUsage) sse.send(usageChunk(kind, head, results));
    sse.done();
    return;
  }
  sendJson(res, 200, completionBody(kind, head, results), { 'x-tsllama-cached-tokens': String(cachedTotal) });
}

function newSampler(o: GenerationOptions, tok: Tokenizer): Sampler {
  // ignore_eos bans the EOG ids, as llama.cpp does; JSON mode needs them to end the object, so it keeps them.
  const sampling = o.ignoreEos && !o.json ? { ...o.sampling, logitBias: { ...eogBans(tok), ...o.sampling.logitBias } } : o.sampling;
  try {
    return new Sampler(sampling);
  } catch (e) {
    throw new ApiError(400, (e as Error).message, 'invalid_request_error', null, 'invalid_value');
  }
}

const eogBanCache = new WeakMap<Tokenizer, Record<number, number>>();

/** logit_bias entries banning every end-of-generation id of the vocabulary. */
function eogBans(tok: Tokenizer): Record<number, number> {
  let bans = eogBanCache.get(tok);
  if (!bans) {
    bans = {};
    for (let id = 0; id < tok.vocabSize; id++) if (tok.isEog(id)) bans[id] = -Infinity;
    eogBanCache.set(tok, bans);
  }
  return bans;
}
