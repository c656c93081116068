// A deterministic byte-level BPE vocabulary of any size ≥ 259, in the GGUF "gpt2" tokenizer form:
// ids 0..2 are control tokens, then the 256 GPT-2 byte-to-unicode characters, then one token per merge.
// Merges join two existing tokens ("a b" → "ab", rank = merge order), drawn from a fixed-seed stream
// with a bias towards early (short, frequent) tokens, so every preset of one size gets the same vocab.
import { SeededRng } from './rng.js';

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export const TOKEN_TYPE_NORMAL = 1;
export const TOKEN_TYPE_CONTROL = 3;

export interface BpeVocab {
  tokens: string[];
  tokenTypes: Int32Array;
  /** "left right", in rank order. */
  merges: string[];
  bosId: number;
  eosId: number;
}

/** GPT-2's byte → printable unicode character map (bytes_to_unicode in openai/gpt-2 encoder.py). */
export function gpt2ByteChars(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable(b) ? b : 256 + extra++);
  return chars;
}

const VOCAB_SEED = 0x5eed;
const MAX_TOKEN_CHARS = 12;

export function buildBpeVocab(size: number): BpeVocab {
  const byteChars = gpt2ByteChars();
  const nFixed = SPECIAL_TOKENS.length + byteChars.length;
  if (size < nFixed) throw new Error(`a byte-level BPE vocabulary needs at least ${nFixed} tokens, not ${size}`);

  const tokens: string[] = [...SPECIAL_TOKENS, ...byteChars];
  const known = new Set(tokens);
  // Merges are built from letters, digits and the space marker Ġ, which only ever starts a token
  // (as GPT-2-style pre-tokenizers attach a space to the following word).
  const SPACE = byteChars[0x20];
  const alphabet = [...'etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789'];
  const lefts: string[] = [SPACE, ...alphabet]; // may start with Ġ
  const rights: string[] = [...alphabet]; // never contain Ġ
  const merges: string[] = [];
  const rng = new SeededRng(VOCAB_SEED);
  // u² favours the front of each list: early atoms and early merges combine most often.
  const pick = (list: string[]): string => list[Math.floor(list.length * rng.next() ** 2)];

  while (tokens.length < size) {
    const left = pick(lefts);
    const right = pick(rights);
    const merged = left + right;
    if (merged.length > MAX_TOKEN_CHARS || known.has(merged)) continue;
    merges.push(`${left} ${right}`);
    tokens.push(merged);
    known.add(merged);
    lefts.push(merged);
    if (!merged.includes(SPACE)) rights.push(merged);
  }

  const tokenTypes = new Int32Array(size).fill(TOKEN_TYPE_NORMAL);
  for (let i = 0; i < SPECIAL_TOKENS.length; i++) tokenTypes[i] = TOKEN_TYPE_CONTROL;
  return { tokens, tokenTypes, merges, bosId: 1, eosId: 2 };
}
