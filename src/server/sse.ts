// Server-Sent Events as the OpenAI streaming API sends them: `data: <json>\n\n` per chunk, then `data: [DONE]`.
// Events are coalesced for up to FLUSH_MS before being written: a small model produces a token
// every fraction of a millisecond per stream, and one socket write per token would cost more than
// the token. The delay is far below what a reader of the stream can notice.
import type { ServerResponse } from 'node:http';

const FLUSH_MS = 4;

export class SseStream {
  private pending = '';
  private timer: NodeJS.Timeout | null = null;

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
    this.sendSerialized(JSON.stringify(data));
  }

  /** send() of an event whose JSON the caller already has. */
  sendSerialized(json: string): void {
    if (this.closed) return;
    this.pending += `data: ${json}\n\n`;
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  done(): void {
    this.end('data: [DONE]\n\n');
  }

  /** Ends the stream with an error event (no [DONE]), after what is pending. */
  fail(error: unknown): void {
    this.end(`data: ${JSON.stringify(error)}\n\n`);
  }

  /** Pending events and the last one in a single write (each socket write is a system call). */
  private end(last: string): void {
    if (this.closed) return;
    this.res.end(this.takePending() + last);
  }

  private flush(): void {
    const pending = this.takePending();
    if (pending && !this.closed) this.res.write(pending);
  }

  /** The events not written yet (cleared), and no flush scheduled any more. */
  private takePending(): string {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = this.pending;
    this.pending = '';
    return pending;
  }
}
