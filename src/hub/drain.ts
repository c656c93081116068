// Reads a fetch body eagerly into a bounded queue. Why: when a connection drops, undici errors the body
// stream and a web ReadableStream discards the chunks still queued in it, so bytes that did arrive would be
// lost whenever the consumer was busy (opening the file, hashing the part already on disk, writing).
// Pulling chunks out as soon as they arrive keeps every received byte for the .part file.
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Stop pulling from the network while this much is waiting for the disk. */
const MAX_QUEUED = 64 << 20;

export class BodyDrain implements AsyncIterable<Uint8Array[]> {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private finished = false;
  private failure: unknown;
  private wake?: () => void;
  private resume?: () => void;
  private reader: ReadableStreamDefaultReader<Uint8Array>;

  /** Starts reading immediately. */
  constructor(body: ReadableStream<Uint8Array> | WebReadableStream<Uint8Array>) {
    this.reader = (body as ReadableStream<Uint8Array>).getReader();
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        while (this.queued >= MAX_QUEUED) await new Promise<void>((r) => { this.resume = r; });
        const { value, done } = await this.reader.read();
        if (done) break;
        this.queue.push(value);
        this.queued += value.length;
        this.wake?.();
      }
    } catch (e) {
      this.failure = e;
    } finally {
      this.finished = true;
      this.wake?.();
    }
  }

  /** Batches of everything received so far; after the last one, throws the stream's error if it had one. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array[]> {
    for (;;) {
      if (this.queue.length === 0) {
        if (this.finished) break;
        await new Promise<void>((r) => { this.wake = r; });
        this.wake = undefined;
        continue;
      }
      const batch = this.queue.splice(0);
      this.queued = 0;
      this.resume?.();
      this.resume = undefined;
      yield batch;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  cancel(): void {
    if (!this.finished) this.reader.cancel().catch(() => undefined);
    this.resume?.();
  }
}
