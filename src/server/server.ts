// createServer: an OpenAI-compatible HTTP server (node:http only) over one loaded model.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { resolveChatFormat } from '../chat/chat-format.js';
import type { Model } from '../model/model.js';
import type { ServerContext } from './context.js';
import { ServerMetrics, type StatsSnapshot } from './metrics.js';
import { route } from './routes.js';
import { Scheduler } from './scheduler.js';

export interface ServerOptions {
  /** Requests decoded at once, each in its own slot (session). Default 4. */
  parallel?: number;
  /** Requests that may wait for a slot; beyond that, 503 with Retry-After. Default 32. */
  queue?: number;
  /** Context length of each slot. Default: the model's default context. */
  contextLength?: number;
  /** Required as `Authorization: Bearer <key>` on every route when set. */
  apiKey?: string;
  /** The model id /v1/models lists. Default: the GGUF file name without .gguf. */
  modelId?: string;
  /** More names a request's `model` field may use. */
  aliases?: readonly string[];
  /** Chat template override: a built-in family name or Jinja text (default: the model's). */
  chatTemplate?: string;
  /** Most prompt tokens a step evaluates while other streams decode (default 128). */
  prefillChunk?: number;
  /** Largest accepted request body (default 8 MiB). */
  maxBodyBytes?: number;
  /** Where warnings go (default console.warn). */
  log?: (line: string) => void;
}

export interface TsllamaServer {
  /** Starts listening (defaults: port 8080, host 127.0.0.1); resolves with the base URL. */
  listen(port?: number, host?: string): Promise<{ url: string }>;
  /**
   * Stops accepting connections, lets running requests finish for up to `graceMs` (default 0), then
   * cancels what is left, closes every connection and frees the slots. The model stays loaded.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
  /** The counters /v1/stats shows. */
  stats(): StatsSnapshot;
  readonly http: Server;
}

export function createServer(model: Model, opts: ServerOptions = {}): TsllamaServer {
  const log = opts.log ?? ((line: string) => console.warn(line));
  const chatTemplate = model.metadata('tokenizer.chat_template');
  const chatFormat = resolveChatFormat({
    tokenizer: model.tokenizer,
    architecture: model.architecture,
    chatTemplate: typeof chatTemplate === 'string' ? chatTemplate : undefined,
  }, opts.chatTemplate);
  if (chatFormat.warning) log(`tsllama serve: ${chatFormat.warning}`);

  const metrics = new ServerMetrics();
  const scheduler = new Scheduler(model, {
    parallel: opts.parallel ?? 4,
    queue: opts.queue ?? 32,
    contextLength: opts.contextLength ?? model.defaultContext,
    prefillChunk: opts.prefillChunk ?? 128,
  }, metrics);
  const modelId = opts.modelId ?? basename(model.path).replace(/\.gguf$/i, '');
  const generalName = model.metadata('general.name');
  const modelNames = new Set([modelId, ...(opts.aliases ?? []), ...(typeof generalName === 'string' ? [generalName] : [])]);
  const ctx: ServerContext = { model, modelId, modelNames, scheduler, metrics, chatFormat, retryAfterSeconds: 1 };
  const routeOpts = { apiKey: opts.apiKey, maxBodyBytes: opts.maxBodyBytes ?? 8 << 20 };

  const http = createHttpServer((req, res) => void route(ctx, routeOpts, req, res));
  // Bytes that are not HTTP get a 400 and a closed socket, not an exception.
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  let closing: Promise<void> | null = null;
  return {
    http,
    stats: () => metrics.snapshot(scheduler.activeCount, scheduler.queuedCount, scheduler.slotCount),
    listen(port = 8080, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (e: Error): void => reject(e);
        http.once('error', onError);
        http.listen(port, host, () => {
          http.off('error', onError);
          const addr = http.address() as AddressInfo;
          const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          resolve({ url: `http://${shownHost}:${addr.port}` });
        });
      });
    },
    close({ graceMs = 0 } = {}) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        const deadline = Date.now() + graceMs;
        while (scheduler.activeCount + scheduler.queuedCount > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 25));
        }
        scheduler.close();
        // Keep-alive and streaming connections would hold http.close() open.
        http.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
