// Special-token partitioning, as llama.cpp's tokenizer_st_partition: before any model-specific
// tokenization, the text is cut around occurrences of special tokens, longest token first.
// User-defined tokens are always cut out; control and unknown tokens only when parse_special is on.
// Tokens with LSTRIP/RSTRIP eat the whitespace on that side (Phi-3's specials strip to the right).
import { TokenAttr } from './types.js';
import type { Vocab } from './vocab.js';

/** A piece of text still to tokenize ([offset, offset + length) of the input), or a token id. */
export type Fragment = { text: true; offset: number; length: number } | { text: false; id: number };

const isCSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d); // C isspace()

export function partitionSpecial(vocab: Vocab, raw: string, parseSpecial: boolean): Fragment[] {
  let fragments: Fragment[] = raw.length > 0 ? [{ text: true, offset: 0, length: raw.length }] : [];
  for (const id of vocab.specialTokens) {
    const attr = vocab.attrs[id];
    if (!parseSpecial && (attr & (TokenAttr.CONTROL | TokenAttr.UNKNOWN))) continue;
    const tok = vocab.texts[id];
    if (raw.indexOf(tok) < 0) continue; // cheap exit: most special tokens never occur
    const next: Fragment[] = [];
    for (const f of fragments) {
      if (!f.text) { next.push(f); continue; }
      let base = f.offset;
      let remaining = f.length;
      for (;;) {
        const match = raw.indexOf(tok, base);
        if (match < 0 || match + tok.length > base + remaining) {
          if (remaining > 0) next.push({ text: true, offset: base, length: remaining });
          break;
        }
        let leftLen = match - base;
        if (attr & TokenAttr.LSTRIP) while (leftLen > 0 && isCSpace(raw.charCodeAt(base + leftLen - 1))) leftLen--;
        if (leftLen > 0) next.push({ text: true, offset: base, length: leftLen });
        next.push({ text: false, id });
        let rightOff = match + tok.length;
        let rightLen = base + remaining - rightOff;
        if (attr & TokenAttr.RSTRIP) while (rightLen > 0 && isCSpace(raw.charCodeAt(rightOff))) { rightOff++; rightLen--; }
        base = rightOff;
        remaining = rightLen;
        if (remaining === 0) break;
      }
    }
    fragments = next;
  }
  return fragments;
}
