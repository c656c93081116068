// Server-Sent Events as the OpenAI streaming API sends them: `data: <json>\n\n` per chunk, then `data: [DONE]`.
import type { ServerResponse } from 'node:http';

export class SseStream {
  constructor(private readonly res: ServerResponse) {}

  /** Sends the response headers (status 200, text/event-stream) plus any extra ones. */
  open(headers: Record<string, string> = {}): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.res.flushHeaders();
  }

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  send(data: unknown): void {
    if (!this.closed) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  done(): void {
    if (!this.closed) this.res.end('data: [DONE]\n\n');
  }
}
