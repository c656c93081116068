// Unicode helpers with llama.cpp's semantics (unicode.cpp / unicode-data.cpp):
// per-code-point category flags, the whitespace set, GPT-2's byte <-> unicode mapping,
// and the simplified NFD / lowercase maps the WordPiece tokenizer uses.

/** General category of a code point, as llama.cpp's `unicode_cpt_flags` category bits. */
export enum Cat {
  UNDEFINED = 0, // Cn (unassigned)
  NUMBER = 1, // \p{N}
  LETTER = 2, // \p{L}
  PUNCTUATION = 3, // \p{P}
  ACCENT_MARK = 4, // \p{M}
  SYMBOL = 5, // \p{S}
  SEPARATOR = 6, // \p{Z}
  CONTROL = 7, // Cc, Cf, Co, Cs
}

const CAT_MASK = 0x07;
const WHITESPACE_BIT = 0x08;
const KNOWN_BIT = 0x80;

// Lazily filled: 0 = not computed yet; else KNOWN_BIT | whitespace | category.
const flagCache = new Uint8Array(0x110000);

const RE_L = /\p{L}/u;
const RE_N = /\p{N}/u;
const RE_P = /\p{P}/u;
const RE_M = /\p{M}/u;
const RE_S = /\p{S}/u;
const RE_Z = /\p{Z}/u;
const RE_CN = /\p{Cn}/u;
// Unicode White_Space = llama.cpp's unicode_set_whitespace (\t-\r, space, U+0085, U+00A0, U+1680, U+2000-200A, ...).
const RE_WS = /\p{White_Space}/u;

function computeFlags(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let cat: Cat;
  if (RE_L.test(ch)) cat = Cat.LETTER;
  else if (RE_N.test(ch)) cat = Cat.NUMBER;
  else if (RE_P.test(ch)) cat = Cat.PUNCTUATION;
  else if (RE_M.test(ch)) cat = Cat.ACCENT_MARK;
  else if (RE_S.test(ch)) cat = Cat.SYMBOL;
  else if (RE_Z.test(ch)) cat = Cat.SEPARATOR;
  else if (RE_CN.test(ch)) cat = Cat.UNDEFINED;
  else cat = Cat.CONTROL;
  return KNOWN_BIT | (RE_WS.test(ch) ? WHITESPACE_BIT : 0) | cat;
}

function flagsOf(cp: number): number {
  let f = flagCache[cp];
  if (f === 0) {
    f = computeFlags(cp);
    flagCache[cp] = f;
  }
  return f;
}

export function cpCategory(cp: number): Cat {
  return (flagsOf(cp) & CAT_MASK) as Cat;
}

export function isWhitespace(cp: number): boolean {
  return (flagsOf(cp) & WHITESPACE_BIT) !== 0;
}

/** Code points of a JS string (lone surrogates become U+FFFD, as UTF-8 encoding would make them). */
export function codePoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

const encoder = new TextEncoder();
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decode UTF-8, replacing invalid sequences with U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

// GPT-2 byte-level BPE: every byte maps to a printable code point. Printable Latin-1 bytes map to themselves,
// the other 68 bytes to U+0100 upwards, in byte order (unicode.cpp unicode_byte_to_utf8_map).
function buildByteMaps(): { byteToChar: string[]; charToByte: Map<number, number> } {
  const byteToChar: string[] = new Array(256);
  const charToByte = new Map<number, number>();
  const keep = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const cp = keep(b) ? b : 256 + n++;
    byteToChar[b] = String.fromCodePoint(cp);
    charToByte.set(cp, b);
  }
  return { byteToChar, charToByte };
}

const BYTE_MAPS = buildByteMaps();
/** byte -> its GPT-2 unicode character. */
export const BYTE_TO_CHAR: readonly string[] = BYTE_MAPS.byteToChar;
/** GPT-2 unicode code point -> byte, or undefined when the code point is not one of the 256. */
export function charToByte(cp: number): number | undefined {
  return BYTE_MAPS.charToByte.get(cp);
}

/**
 * llama.cpp's unicode_cpts_normalize_nfd maps each code point to the FIRST code point of its NFD form
 * (so accents are dropped and Hangul syllables keep only their leading jamo).
 */
const nfdCache = new Map<number, number>();
export function nfdFirst(cp: number): number {
  if (cp < 0xc0) return cp;
  let r = nfdCache.get(cp);
  if (r === undefined) {
    r = String.fromCodePoint(cp).normalize('NFD').codePointAt(0) ?? cp;
    nfdCache.set(cp, r);
  }
  return r;
}

/** Simple one-to-one lowercase (llama.cpp's unicode_tolower); multi-code-point lowercases keep the code point. */
const lowerCache = new Map<number, number>();
export function toLower(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  let r = lowerCache.get(cp);
  if (r === undefined) {
    const s = String.fromCodePoint(cp).toLowerCase();
    const first = s.codePointAt(0) ?? cp;
    r = s.length === String.fromCodePoint(first).length ? first : cp;
    lowerCache.set(cp, r);
  }
  return r;
}
