// What every route handler reads: the model, its names, the scheduler, the counters, the chat format.
import type { ChatFormat } from '../chat/chat-format.js';
import type { Model } from '../model/model.js';
import { ApiError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { Scheduler } from './scheduler.js';

export interface ServerContext {
  readonly model: Model;
  /** The id /v1/models lists and responses carry. */
  readonly modelId: string;
  /** The id and its aliases: what a request's `model` field may say. */
  readonly modelNames: ReadonlySet<string>;
  readonly scheduler: Scheduler;
  readonly metrics: ServerMetrics;
  readonly chatFormat: ChatFormat;
  /** Seconds a client is told to wait (Retry-After) when the queue is full. */
  readonly retryAfterSeconds: number;
}

/** A request may omit `model`; if it names one, it must be this server's id or an alias (else 404). */
export function checkModelName(ctx: ServerContext, name: string | undefined): void {
  if (name === undefined || name === '' || ctx.modelNames.has(name)) return;
  throw new ApiError(404, `The model '${name}' does not exist; this server serves '${ctx.modelId}'`, 'invalid_request_error', 'model', 'model_not_found');
}
