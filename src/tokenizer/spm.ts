// SentencePiece-style BPE (tokenizer.ggml.model = "llama"), as llama.cpp's llm_tokenizer_spm_session:
// start from single code points, repeatedly merge the adjacent pair whose concatenation is a token with
// the highest score (leftmost first on ties), then output each symbol's token or, failing that, its
// UTF-8 bytes as <0xNN> byte tokens. Spaces must already be escaped to U+2581 by the caller.
import { MergeQueue } from './heap.js';
import { PairMemo } from './pair-memo.js';
import { utf8Encode } from './unicode.js';
import type { Vocab } from './vocab.js';

const CHUNK = 2048;
const UNKNOWN_PAIR = -2;
const ESCAPED_SPACE = '\u2581';

export class SpmEncoder {
  private readonly queue = new MergeQueue();
  private readonly popped = new Float64Array(5);
  private readonly charSymbols = new Map<number, number>();
  /** (left symbol, right symbol) -> token id of their concatenation, or -1. */
  private readonly pairMemo = new PairMemo();
  /** byte -> id of its <0xNN> token (or the one-char token, llama.cpp's fallback); -1 when neither exists. */
  private readonly byteIds = new Int32Array(256).fill(-1);

  constructor(private readonly vocab: Vocab) {
    for (let b = 0; b < 256; b++) {
      const hex = b.toString(16).toUpperCase().padStart(2, '0');
      const id = vocab.textToId.get(`<0x${hex}>`) ?? (b < 0x80 ? vocab.textToId.get(String.fromCharCode(b)) : undefined);
      if (id !== undefined) this.byteIds[b] = id;
    }
  }

  encode(text: string, out: number[]): void {
    // The merge queue is global in llama.cpp, but merges never cross a position that no vocabulary token
    // spans, so cutting the text there gives the same result, and keeps the queue small and fast.
    let from = 0;
    while (text.length - from > CHUNK) {
      const cut = this.findSafeCut(text, from + CHUNK);
      if (cut < 0) break;
      this.encodeChunk(text.slice(from, cut), out);
      from = cut;
    }
    this.encodeChunk(from === 0 ? text : text.slice(from), out);
  }

  /** A position at or after `target`, before a U+2581, that no token covers strictly inside; -1 if none found. */
  private findSafeCut(text: string, target: number): number {
    const maxLen = this.vocab.maxTokenLength;
    const limit = Math.min(text.length - 1, target + CHUNK);
    for (let p = text.indexOf(ESCAPED_SPACE, target); p > 0 && p < limit; p = text.indexOf(ESCAPED_SPACE, p + 1)) {
      if (!this.spanned(text, p, maxLen)) return p;
    }
    return -1;
  }

  /** Does some token occur in `text` over [a, b) with a < p < b? */
  private spanned(text: string, p: number, maxLen: number): boolean {
    for (let a = Math.max(0, p - maxLen + 1); a < p; a++) {
      for (let b = p + 1; b <= Math.min(text.length, a + maxLen); b++) {
        if (this.vocab.textToId.has(text.slice(a, b))) return true;
      }
    }
    return false;
  }

  private encodeChunk(text: string, out: number[]): void {
    const { vocab } = this;
    // Symbols: code points of `text` as [start, length) in UTF-16 units, in a doubly linked list. Each also
    // carries a symbol id: its token id, or -(code point + 1) for a code point that is no token.
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
      n++;
    }
    const start = new Int32Array(n);
    const len = new Int32Array(n);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    const sym = new Int32Array(n);
    for (let i = 0, at = 0; i < n; i++) {
      const cp = text.codePointAt(at) ?? 0;
      const l = cp > 0xffff ? 2 : 1;
      start[i] = at; len[i] = l; at += l;
      prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1;
      sym[i] = this.charSymbol(cp);
    }

    const q = this.queue;
    q.clear();
    const tryAddBigram = (l: number, r: number): void => {
      if (l < 0 || r < 0) return;
      const size = len[l] + len[r];
      const id = this.pairToken(sym[l], sym[r], text, start[l], size);
      if (id >= 0) q.push(-vocab.scores[id], l, r, size, id); // highest score first
    };
    for (let i = 1; i < n; i++) tryAddBigram(i - 1, i);

    const b = this.popped;
    while (q.pop(b)) {
      const l = b[1], r = b[2];
      // skip outdated candidates: one side was merged away or has grown since it was queued
      if (len[l] === 0 || len[r] === 0 || len[l] + len[r] !== b[3]) continue;
      len[l] += len[r];
      len[r] = 0;
      sym[l] = b[4];
      next[l] = next[r];
      if (next[r] >= 0) prev[next[r]] = l;
      tryAddBigram(prev[l], l);
      tryAddBigram(l, next[l]);
    }

    // Every merged symbol is a token by construction; a code point that is no token goes out as bytes.
    for (let i = n > 0 ? 0 : -1; i !== -1; i = next[i]) {
      if (sym[i] >= 0) { out.push(sym[i]); continue; }
      for (const byte of utf8Encode(String.fromCodePoint(-sym[i] - 1))) out.push(this.byteToken(byte));
    }
  }

  private charSymbol(cp: number): number {
    let s = this.charSymbols.get(cp);
    if (s === undefined) {
      s = this.vocab.textToId.get(String.fromCodePoint(cp)) ?? -(cp + 1);
      this.charSymbols.set(cp, s);
    }
    return s;
  }

  /**
   * The token whose text is the two symbols' texts joined, or -1. The answer depends only on the two symbol
   * ids, so it is memoised under them: natural text asks about the same pairs over and over.
   */
  private pairToken(left: number, right: number, text: string, at: number, size: number): number {
    let id = this.pairMemo.get(left, right, UNKNOWN_PAIR);
    if (id === UNKNOWN_PAIR) {
      id = this.vocab.textToId.get(text.substr(at, size)) ?? -1;
      this.pairMemo.set(left, right, id);
    }
    return id;
  }

  private byteToken(byte: number): number {
    const id = this.byteIds[byte];
    if (id >= 0) return id;
    // llama.cpp throws here (no byte token); the unknown token is the useful answer.
    if (this.vocab.unk !== null) return this.vocab.unk;
    throw new Error(`SPM vocabulary has no byte token <0x${byte.toString(16).toUpperCase().padStart(2, '0')}> and no unknown token`);
  }
}
