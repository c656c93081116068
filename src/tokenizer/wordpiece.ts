// WordPiece (tokenizer.ggml.model = "bert"), as llama.cpp's llm_tokenizer_wpm_session.
// The GGUF stores word-initial pieces as "▁word" and continuation pieces without BERT's "##".
// Text is NFD-reduced (first code point only), stripped of accent marks and lowercased, split on whitespace, with punctuation,
// ASCII symbols and CJK ideographs as one-character words; each word is matched longest-first from the
// left, and a word with any unmatched position becomes the unknown token.
import { Cat, codePoints, cpCategory, isWhitespace, nfdFirst, toLower } from './unicode.js';
import type { Vocab } from './vocab.js';

const PHANTOM_SPACE = '\u2581';

export class WordPieceEncoder {
  constructor(private readonly vocab: Vocab) {}

  encode(text: string, out: number[]): void {
    const { vocab } = this;
    for (const word of preprocess(text)) {
      const w = PHANTOM_SPACE + word;
      const before = out.length;
      for (let i = 0; i < w.length;) {
        let matched = 0;
        for (let j = Math.min(w.length, i + vocab.maxTokenLength); j > i; j--) {
          if (isLowSurrogateAt(w, j)) continue; // never cut a surrogate pair
          const id = vocab.textToId.get(w.slice(i, j));
          if (id !== undefined) { out.push(id); matched = j; break; }
        }
        if (matched === 0) { out.length = before; break; } // discard the whole word
        i = matched;
      }
      if (out.length === before) {
        if (vocab.unk === null) throw new Error('WordPiece vocabulary has no unknown token');
        out.push(vocab.unk);
      }
    }
  }
}

function isLowSurrogateAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

/** llm_tokenizer_wpm_session::preprocess: normalize and split into words. */
export function preprocess(text: string): string[] {
  const words: string[] = [''];
  const finishWord = (): void => { if (words[words.length - 1].length > 0) words.push(''); };
  for (const raw of codePoints(text)) {
    const cp = nfdFirst(raw);
    if (isWhitespace(cp)) { finishWord(); continue; }
    const cat = cpCategory(cp);
    // control characters go; so do accent marks (current llama.cpp strips them, as BERT's strip_accents does)
    if (cp === 0 || cp === 0xfffd || cat === Cat.CONTROL || cat === Cat.ACCENT_MARK) continue;
    const s = String.fromCodePoint(toLower(cp));
    if (cat === Cat.PUNCTUATION || (cp < 0x7f && cat === Cat.SYMBOL) || isChineseChar(cp)) {
      finishWord();
      words[words.length - 1] = s;
      words.push('');
    } else {
      words[words.length - 1] += s;
    }
  }
  if (words[words.length - 1].length === 0) words.pop();
  return words;
}

function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff)
    || (cp >= 0x3400 && cp <= 0x4dbf)
    || (cp >= 0x20000 && cp <= 0x2a6df)
    || (cp >= 0x2a700 && cp <= 0x2b73f)
    || (cp >= 0x2b740 && cp <= 0x2b81f)
    || (cp >= 0x2b920 && cp <= 0x2ceaf) // llama.cpp follows HF's 0x2B920 here, not 0x2B820
    || (cp >= 0xf900 && cp <= 0xfaff)
    || (cp >= 0x2f800 && cp <= 0x2fa1f);
}
