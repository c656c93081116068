// Request routing: API key check, then one handler per endpoint. Every error becomes an OpenAI
// error object; nothing a client sends can throw past here.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderConversationIds } from '../chat/chat-format.js';
import { ChatTemplateError } from '../chat/render.js';
import { checkModelName, type ServerContext } from './context.js';
import { serveEmbeddings } from './embeddings.js';
import { ApiError, toApiError } from './errors.js';
import { serveGeneration } from './generate.js';
import { readJsonBody, sendError, sendJson, sendText } from './http-io.js';
import { prometheusText } from './metrics.js';
import { parseChatMessages, parseCompletionPrompts, parseGenerationOptions } from './request.js';
import type { Body } from './request-fields.js';

export interface RouteOptions {
  apiKey?: string;
  maxBodyBytes: number;
}

type Handler = (ctx: ServerContext, req: IncomingMessage, res: ServerResponse, body: Body | null) => Promise<void> | void;

const ROUTES: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  '/health': { method: 'GET', handler: (ctx, _req, res) => sendJson(res, 200, { status: 'ok', slots_idle: ctx.scheduler.slotCount - ctx.scheduler.activeCount, slots_busy: ctx.scheduler.activeCount }) },
  '/v1/models': { method: 'GET', handler: (ctx, _req, res) => sendJson(res, 200, { object: 'list', data: [modelEntry(ctx)] }) },
  '/v1/stats': {
    method: 'GET',
    // JSON only (not /metrics): the threads and, per step size class, whether steps run pooled or on one thread
    handler: (ctx, _req, res) => sendJson(res, 200, { ...stats(ctx), threads: ctx.model.threads, step_thread_modes: ctx.model.decodeThreadModes }),
  },
  '/metrics': { method: 'GET', handler: (ctx, _req, res) => sendText(res, 200, prometheusText(stats(ctx)), 'text/plain; version=0.0.4') },
  '/v1/chat/completions': { method: 'POST', handler: (ctx, _req, res, body) => serveChat(ctx, res, body!) },
  '/v1/completions': { method: 'POST', handler: (ctx, _req, res, body) => serveCompletion(ctx, res, body!) },
  '/v1/embeddings': { method: 'POST', handler: (ctx, _req, res, body) => serveEmbeddings(ctx, res, body!) },
};

export async function route(ctx: ServerContext, opts: RouteOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    if (opts.apiKey !== undefined) checkApiKey(req, opts.apiKey);
    const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
    if (modelMatch && req.method === 'GET') {
      const name = decodeURIComponent(modelMatch[1]!);
      checkModelName(ctx, name);
      sendJson(res, 200, modelEntry(ctx));
      return;
    }
    const r = ROUTES[path];
    if (!r) throw new ApiError(404, `no route ${req.method} ${path}`, 'invalid_request_error', null, 'not_found');
    if (req.method !== r.method) throw new ApiError(405, `${path} takes ${r.method}, not ${req.method}`, 'invalid_request_error', null, 'method_not_allowed');
    const body = r.method === 'POST' ? await readJsonBody(req, opts.maxBodyBytes) : null;
    await r.handler(ctx, req, res, body);
  } catch (e) {
    sendError(res, toApiError(e));
  }
}

function checkApiKey(req: IncomingMessage, apiKey: string): void {
  const header = req.headers.authorization ?? '';
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  // Compare digests so the time taken says nothing about the key.
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  if (given === undefined || !timingSafeEqual(digest(given), digest(apiKey))) {
    throw new ApiError(401, given === undefined ? 'missing API key: send "Authorization: Bearer <key>"' : 'incorrect API key', 'authentication_error', null, 'invalid_api_key');
  }
}

function modelEntry(ctx: ServerContext): object {
  return { id: ctx.modelId, object: 'model', created: 0, owned_by: 'tsllama' };
}

function stats(ctx: ServerContext): ReturnType<ServerContext['metrics']['snapshot']> {
  return ctx.metrics.snapshot(ctx.scheduler.activeCount, ctx.scheduler.queuedCount, ctx.scheduler.slotCount);
}

async function serveChat(ctx: ServerContext, res: ServerResponse, body: Body): Promise<void> {
  const tok = ctx.model.tokenizer;
  const options = parseGenerationOptions(body, tok.vocabSize);
  checkModelName(ctx, options.model);
  const messages = parseChatMessages(body);
  let ids: number[];
  try {
    ids = renderConversationIds(ctx.chatFormat, tok, messages, { addGenerationPrompt: true }).ids;
  } catch (e) {
    if (e instanceof ChatTemplateError) throw new ApiError(400, e.message, 'invalid_request_error', 'messages', 'invalid_messages');
    throw e;
  }
  await serveGeneration(ctx, res, {
    kind: 'chat', options, prompts: [ids], promptParam: 'messages',
    endTokens: ctx.chatFormat.stopTokens, endStrings: ctx.chatFormat.stopStrings,
  });
}

async function serveCompletion(ctx: ServerContext, res: ServerResponse, body: Body): Promise<void> {
  const tok = ctx.model.tokenizer;
  const options = parseGenerationOptions(body, tok.vocabSize);
  checkModelName(ctx, options.model);
  // As llama.cpp's server: BOS etc. added, special-token text parsed.
  const prompts = parseCompletionPrompts(body, tok.vocabSize)
    .map((p) => typeof p === 'string' ? tok.encode(p, { addSpecial: true, parseSpecial: true }) : p);
  await serveGeneration(ctx, res, { kind: 'text', options, prompts, promptParam: 'prompt', endTokens: [], endStrings: [] });
}
