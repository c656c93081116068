// Byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp's llm_tokenizer_bpe_session:
// pre-tokenize into words, then in each word repeatedly merge the adjacent pair with the lowest merge rank
// (leftmost first on ties). A final symbol that is not a token falls back to its single ASCII bytes.
import { PreTokenizer } from './bpe-pretokenize.js';
import { MergeQueue } from './heap.js';
import type { Vocab } from './vocab.js';

const WORD_CACHE_LIMIT = 200_000;

export class BpeEncoder {
  private readonly pre: PreTokenizer;
  private readonly queue = new MergeQueue();
  private readonly popped = new Float64Array(5);
  /** word -> ids; a word always encodes the same way, and text repeats words a lot. */
  private readonly cache = new Map<string, number[]>();

  constructor(private readonly vocab: Vocab) {
    if (!vocab.pre) throw new Error('BpeEncoder needs a BPE vocabulary');
    this.pre = new PreTokenizer(vocab.pre.regexes);
  }

  encode(text: string, out: number[]): void {
    for (const word of this.pre.split(text)) {
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(word);
        if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** One byte-level word -> ids. */
  encodeWord(word: string): number[] {
    const { vocab } = this;
    if (vocab.ignoreMerges) {
      const id = vocab.textToId.get(word);
      if (id !== undefined) return [id];
    }
    // Symbols are the word's code points: [start, length) in UTF-16 units, linked by prev/next.
    const chars = Array.from(word);
    const n = chars.length;
    const start = new Int32Array(n);
    const len = new Int32Array(n);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      start[i] = at; len[i] = chars[i].length; at += len[i];
      prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1;
    }
    const text = (i: number): string => word.substr(start[i], len[i]);
    const q = this.queue;
    q.clear();
    const addBigram = (l: number, r: number): void => {
      if (l < 0 || r < 0) return;
      const rank = vocab.mergeRanks.get(text(l) + ' ' + text(r));
      if (rank !== undefined) q.push(rank, l, r, len[l] + len[r]);
    };
    for (let i = 1; i < n; i++) addBigram(i - 1, i);

    const b = this.popped;
    while (q.pop(b)) {
      const l = b[1], r = b[2];
      // skip outdated candidates: one side was merged away or has grown since it was queued
      if (len[l] === 0 || len[r] === 0 || len[l] + len[r] !== b[3] || next[l] !== r) continue;
      len[l] += len[r];
      len[r] = 0;
      next[l] = next[r];
      if (next[r] >= 0) prev[next[r]] = l;
      addBigram(prev[l], l);
      addBigram(l, next[l]);
    }

    const ids: number[] = [];
    for (let i = 0; i !== -1; i = next[i]) {
      const s = text(i);
      const id = vocab.textToId.get(s);
      if (id !== undefined) { ids.push(id); continue; }
      // llama.cpp looks up each byte of the symbol's UTF-8 as a one-byte string; only ASCII can ever match.
      for (const ch of s) {
        const cp = ch.codePointAt(0) ?? 0;
        if (cp < 0x80) {
          const byteId = vocab.textToId.get(ch);
          if (byteId !== undefined) ids.push(byteId);
        }
      }
    }
    return ids;
  }
}
