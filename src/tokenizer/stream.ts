// Streaming detokenization: token pieces are bytes, and a character may be split across tokens
// (e.g. an emoji as <0xF0><0x9F><0x99><0x82>). The streaming UTF-8 decoder holds back an unfinished
// sequence until the next piece completes it; invalid bytes become U+FFFD.
import type { StreamDecoder } from './types.js';

export function createStreamDecoder(pieceBytes: (id: number) => Uint8Array): StreamDecoder {
  let decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  return {
    push(id: number): string {
      return decoder.decode(pieceBytes(id), { stream: true });
    },
    flush(): string {
      const rest = decoder.decode();
      decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
      return rest;
    },
  };
}
