// BPE pre-tokenization exactly as llama.cpp's unicode_regex_split does it:
// a list of regexes per `tokenizer.ggml.pre`, applied one after another, each splitting every current
// segment into its matches AND the unmatched gaps between them. Two regexes (GPT-2's and Llama-3's) are
// hand-written state machines in llama.cpp; the others run on a "collapsed" text (every non-ASCII code point
// replaced by one byte naming its category) when they use \p{..}, or on the code points otherwise.
// The words come back in GPT-2 byte-level form (each UTF-8 byte as its printable stand-in).
import { BYTE_TO_CHAR, Cat, codePoints, cpCategory, isWhitespace } from './unicode.js';

export interface PreTokenizerSpec {
  regexes: string[];
  /** llama.cpp's clean_spaces for detokenize (default true for BPE). */
  cleanSpaces?: boolean;
  /** A word that is already a token is not merged (Llama-3). */
  ignoreMerges?: boolean;
  /** add_bos default when the GGUF does not say. */
  addBos?: boolean;
}

// The regex sources are llama.cpp's (llama-vocab.cpp, llm_tokenizer_bpe constructor), byte for byte.
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_CI = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const CASED_LETTERS = 'A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝ'
  // these six are written as escapes: each has a canonical singleton decomposition that editors normalise away
  + 'Ὗ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃';
const CJK_HANGUL = '[一-龥ࠀ-一가-퟿]+';
const DEEPSEEK_LLM = ['[\r\n]', `\\s?[${CASED_LETTERS}]+`, '\\s?[!-/:-~！-／：-～‘-‟　-。]+', '\\s+$', CJK_HANGUL, '\\p{N}+'];
const DEEPSEEK_CODER = ['[\r\n]', '\\s?\\p{L}+', '\\s?\\p{P}+', CJK_HANGUL, '\\p{N}'];
const DEEPSEEK_V3 = ['\\p{N}{1,3}', '[一-龥぀-ゟ゠-ヿ]+',
  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"];
const FALCON = ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'];
const STARCODER = ['\\p{N}', GPT2];
const DEFAULT = ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'];
const BLOOM = [' ?[^(\\s|.,!?…。，、।۔،)]+'];
const TEKKEN = ['[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+'];

/** `tokenizer.ggml.pre` values and their llama.cpp settings ('' / missing means 'default'). */
export const PRE_TOKENIZERS = new Map<string, PreTokenizerSpec>([
  ['default', { regexes: DEFAULT }],
  ...['gpt-2', 'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v1-en', 'jina-v2-es', 'jina-v2-de', 'jina-v2-code', 'roberta-bpe', 'mpt', 'olmo', 'jais']
    .map((n): [string, PreTokenizerSpec] => [n, { regexes: [GPT2] }]),
  ...['llama3', 'llama-v3', 'llama-bpe', 'falcon3']
    .map((n): [string, PreTokenizerSpec] => [n, { regexes: [LLAMA3], ignoreMerges: true, addBos: true }]),
  ['dbrx', { regexes: [LLAMA3] }],
  ['smaug-bpe', { regexes: [LLAMA3] }],
  ['deepseek-llm', { regexes: DEEPSEEK_LLM, cleanSpaces: false }],
  ['deepseek-coder', { regexes: DEEPSEEK_CODER, cleanSpaces: false }],
  ['deepseek-v3', { regexes: DEEPSEEK_V3, cleanSpaces: false }],
  ['falcon', { regexes: FALCON }],
  ['starcoder', { regexes: STARCODER }],
  ['refact', { regexes: STARCODER }],
  ['command-r', { regexes: STARCODER, cleanSpaces: false }],
  ['smollm', { regexes: STARCODER, cleanSpaces: false }],
  ['codeshell', { regexes: STARCODER }],
  ['exaone', { regexes: STARCODER }],
  ['minerva-7b', { regexes: STARCODER }],
  ['qwen2', { regexes: [QWEN2], cleanSpaces: false }],
  ['stablelm2', { regexes: [QWEN2] }],
  ['megrez', { regexes: [QWEN2] }],
  ['poro-chat', { regexes: BLOOM, cleanSpaces: false }],
  ['bloom', { regexes: BLOOM }],
  ['gpt3-finnish', { regexes: BLOOM }],
  ['viking', { regexes: [...BLOOM, '\\p{N}'], cleanSpaces: false }],
  ['tekken', { regexes: TEKKEN, cleanSpaces: false, ignoreMerges: true, addBos: true }],
]);

/** Segment lengths in code points; their sum is the text's code point count. */
type Offsets = number[];

interface Step { split(ctx: SplitContext, offsets: Offsets): Offsets }

/** The text in the three forms the steps need, built on first use. */
class SplitContext {
  private collapsedText: string | null = null;
  private wide: { text: string; cpToUnit: Uint32Array; unitToCp: Uint32Array } | null = null;
  constructor(readonly cps: Uint32Array) {}

  /** One char per code point: ASCII kept, non-ASCII whitespace -> \x0B, else a category byte (llama.cpp's collapse). */
  collapsed(): string {
    if (this.collapsedText === null) {
      const codes = new Uint16Array(this.cps.length);
      for (let i = 0; i < this.cps.length; i++) codes[i] = collapseCp(this.cps[i]);
      let s = '';
      for (let i = 0; i < codes.length; i += 8192) s += String.fromCharCode(...codes.subarray(i, i + 8192));
      this.collapsedText = s;
    }
    return this.collapsedText;
  }

  /** The code points with non-ASCII whitespace replaced by \x0B (llama.cpp's std::wregex input). */
  wideText(): { text: string; cpToUnit: Uint32Array; unitToCp: Uint32Array } {
    if (this.wide === null) {
      const n = this.cps.length;
      const cpToUnit = new Uint32Array(n + 1);
      const parts: string[] = [];
      let unit = 0;
      for (let i = 0; i < n; i++) {
        const cp = this.cps[i];
        const mapped = cp > 0x7f && isWhitespace(cp) ? 0x0b : cp;
        cpToUnit[i] = unit;
        parts.push(String.fromCodePoint(mapped));
        unit += mapped > 0xffff ? 2 : 1;
      }
      cpToUnit[n] = unit;
      const unitToCp = new Uint32Array(unit + 1);
      for (let i = 0; i < n; i++) {
        unitToCp[cpToUnit[i]] = i;
        if (cpToUnit[i + 1] - cpToUnit[i] === 2) unitToCp[cpToUnit[i] + 1] = i;
      }
      unitToCp[unit] = n;
      this.wide = { text: parts.join(''), cpToUnit, unitToCp };
    }
    return this.wide;
  }
}

const CATEGORY_BYTE: Partial<Record<Cat, number>> = {
  [Cat.NUMBER]: 0xd1, [Cat.LETTER]: 0xd2, [Cat.PUNCTUATION]: 0xd3, [Cat.ACCENT_MARK]: 0xd4, [Cat.SYMBOL]: 0xd5,
};
const CATEGORY_PATTERN: Record<string, { byte: number; ascii: string }> = {
  '\\p{N}': { byte: 0xd1, ascii: '0-9' },
  '\\p{L}': { byte: 0xd2, ascii: 'A-Za-z' },
  '\\p{P}': { byte: 0xd3, ascii: '!-#%-*,-/:-;?-@\\[-\\]_\\{\\}' },
  '\\p{M}': { byte: 0xd4, ascii: '' },
  '\\p{S}': { byte: 0xd5, ascii: '\\$\\+<->\\^`\\|' },
};

function collapseCp(cp: number): number {
  if (cp < 128) return cp;
  if (isWhitespace(cp)) return 0x0b;
  return CATEGORY_BYTE[cpCategory(cp)] ?? 0xd0;
}

/** Rewrites \p{X} into a class over the category byte plus its ASCII members (llama.cpp's regex_expr_collapsed). */
function collapseRegex(expr: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '[' && (i === 0 || expr[i - 1] !== '\\')) { out += '['; inside = true; continue; }
    if (inside && c === ']' && expr[i - 1] !== '\\') { out += ']'; inside = false; continue; }
    const cat = CATEGORY_PATTERN[expr.slice(i, i + 5)];
    if (c === '\\' && cat) {
      const body = String.fromCharCode(cat.byte) + cat.ascii;
      out += inside ? body : `[${body}]`;
      i += 4;
      continue;
    }
    out += c;
  }
  return out;
}

/** std::regex's \s on the wregex input is ASCII whitespace only (non-ASCII whitespace was mapped to \x0B). */
function asciiWhitespaceRegex(expr: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '\\' && i + 1 < expr.length) {
      const d = expr[i + 1];
      if (d === 's') out += inside ? '\\t-\\r ' : '[\\t-\\r ]';
      else if (d === 'S' && !inside) out += '[^\\t-\\r ]';
      else out += c + d;
      i++;
      continue;
    }
    if (c === '[') inside = true;
    else if (c === ']') inside = false;
    out += c;
  }
  return out;
}

/** Split each segment by a JS regex: matches and the gaps between them all become segments (unicode_regex_split_stl). */
class RegexStep implements Step {
  private readonly re: RegExp;
  constructor(source: string, private readonly wide: boolean) {
    this.re = new RegExp(source, wide ? 'gu' : 'g');
  }

  split(ctx: SplitContext, offsets: Offsets): Offsets {
    const out: Offsets = [];
    const w = this.wide ? ctx.wideText() : null;
    const text = w ? w.text : ctx.collapsed();
    let start = 0;
    for (const len of offsets) {
      const u0 = w ? w.cpToUnit[start] : start;
      const u1 = w ? w.cpToUnit[start + len] : start + len;
      const seg = text.slice(u0, u1);
      const toCp = (unit: number): number => (w ? w.unitToCp[u0 + unit] - start : unit);
      let prevEnd = 0;
      this.re.lastIndex = 0;
      for (let m = this.re.exec(seg); m !== null; m = this.re.exec(seg)) {
        const mStart = toCp(m.index);
        const mEnd = toCp(m.index + m[0].length);
        if (mStart > prevEnd) out.push(mStart - prevEnd);
        if (mEnd > mStart) out.push(mEnd - mStart);
        prevEnd = mEnd;
        if (m[0].length === 0) this.re.lastIndex++; // never loop on an empty match
      }
      if (prevEnd < len) out.push(len - prevEnd);
      start += len;
    }
    return out;
  }
}

/** Per-segment scanner state shared by the two hand-written splitters. */
function scanSegments(cps: Uint32Array, offsets: Offsets, scan: (seg: Segment) => void): Offsets {
  const out: Offsets = [];
  let start = 0;
  for (const len of offsets) {
    scan(new Segment(cps, start, start + len, out));
    start += len;
  }
  return out;
}

class Segment {
  private prevEnd: number;
  constructor(readonly cps: Uint32Array, readonly ini: number, readonly end: number, private readonly out: Offsets) {
    this.prevEnd = ini;
  }
  /** Code point at pos, or -1 outside the segment. */
  cpt(pos: number): number { return pos >= this.ini && pos < this.end ? this.cps[pos] : -1; }
  inRange(pos: number): boolean { return pos >= this.ini && pos < this.end; }
  letter(pos: number): boolean { return this.inRange(pos) && cpCategory(this.cps[pos]) === Cat.LETTER; }
  number(pos: number): boolean { return this.inRange(pos) && cpCategory(this.cps[pos]) === Cat.NUMBER; }
  space(pos: number): boolean { return this.inRange(pos) && isWhitespace(this.cps[pos]); }
  /** [^\s\p{L}\p{N}] inside the segment. */
  other(pos: number): boolean {
    if (!this.inRange(pos)) return false;
    const cp = this.cps[pos];
    const cat = cpCategory(cp);
    return cat !== Cat.LETTER && cat !== Cat.NUMBER && !isWhitespace(cp);
  }
  /** Emit the segment [prevEnd, end); returns its length. */
  add(end: number): number {
    const len = end - this.prevEnd;
    if (len > 0) this.out.push(len);
    this.prevEnd = end;
    return len;
  }
}

const APOS = 0x27, SPACE = 0x20, CR = 0x0d, LF = 0x0a;
const lowerAscii = (cp: number): number => (cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);

/** Contractions 's 't 'm 'd 're 've 'll at pos; returns the match end or -1. */
function contraction(s: Segment, pos: number, caseInsensitive: boolean): number {
  if (s.cpt(pos) !== APOS || pos + 1 >= s.end) return -1;
  const lower = caseInsensitive ? lowerAscii : (c: number): number => c;
  const a = lower(s.cpt(pos + 1));
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return pos + 2; // s t m d
  if (pos + 2 < s.end) {
    const b = lower(s.cpt(pos + 2));
    if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) return pos + 3; // re ve ll
  }
  return -1;
}

/** 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+  (unicode_regex_split_custom_gpt2) */
const gpt2Step: Step = {
  split: (ctx, offsets) => scanSegments(ctx.cps, offsets, (s) => {
    for (let pos = s.ini; pos < s.end;) {
      const cpt = s.cpt(pos);
      const c = contraction(s, pos, false);
      if (c >= 0) { pos += s.add(c); continue; }
      const at = cpt === SPACE ? pos + 1 : pos; // the optional leading space
      if (s.letter(at)) { pos = at; while (s.letter(pos)) pos++; s.add(pos); continue; }
      if (s.number(at)) { pos = at; while (s.number(pos)) pos++; s.add(pos); continue; }
      if (s.other(at)) { pos = at; while (s.other(pos)) pos++; s.add(pos); continue; }
      let nws = 0;
      while (s.space(pos + nws)) nws++;
      if (nws > 1 && s.inRange(pos + nws)) { pos += nws - 1; s.add(pos); continue; } // \s+(?!\S)
      if (nws > 0) { pos += nws; s.add(pos); continue; }
      s.add(++pos);
    }
  }),
};

/** Llama-3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
const llama3Step: Step = {
  split: (ctx, offsets) => scanSegments(ctx.cps, offsets, (s) => {
    for (let pos = s.ini; pos < s.end;) {
      const cpt = s.cpt(pos);
      const c = contraction(s, pos, true);
      if (c >= 0) { pos += s.add(c); continue; }
      if (!(cpt === CR || cpt === LF || s.number(pos))) {
        if (s.letter(pos) || s.letter(pos + 1)) {
          pos++;
          while (s.letter(pos)) pos++;
          s.add(pos);
          continue;
        }
      }
      if (s.number(pos)) {
        let ini = pos;
        while (s.number(pos)) {
          if (++pos - ini >= 3) { s.add(pos); ini = pos; }
        }
        s.add(pos);
        continue;
      }
      const at = cpt === SPACE ? pos + 1 : pos;
      // llama.cpp tests the first code point's flags here (not the one after the space); a space is never "other".
      if (s.other(at) && s.inRange(pos)) {
        pos = at;
        while (s.other(pos)) pos++;
        while (s.cpt(pos) === CR || s.cpt(pos) === LF) pos++;
        s.add(pos);
        continue;
      }
      let nws = 0;
      let lastCrLfEnd = 0;
      while (s.space(pos + nws)) {
        const c2 = s.cpt(pos + nws);
        if (c2 === CR || c2 === LF) lastCrLfEnd = pos + nws + 1;
        nws++;
      }
      if (lastCrLfEnd > 0) { pos = lastCrLfEnd; s.add(pos); continue; } // \s*[\r\n]+
      if (nws > 1 && s.inRange(pos + nws)) { pos += nws - 1; s.add(pos); continue; }
      if (nws > 0) { pos += nws; s.add(pos); continue; }
      s.add(++pos);
    }
  }),
};

const CATEGORY_ESCAPE = /\\p\{[NLPMS]\}/;

function compileStep(expr: string): Step {
  if (expr === GPT2) return gpt2Step;
  if (expr === LLAMA3 || expr === LLAMA3_CI) return llama3Step;
  if (CATEGORY_ESCAPE.test(expr)) return new RegexStep(collapseRegex(expr), false);
  return new RegexStep(asciiWhitespaceRegex(expr), true);
}

/** Splits text into byte-level-encoded words for one pre-tokenizer. */
export class PreTokenizer {
  private readonly steps: Step[];
  constructor(regexes: string[]) {
    this.steps = regexes.map(compileStep);
  }

  /** Word boundaries as code point lengths (exposed for tests). */
  splitOffsets(text: string): { cps: Uint32Array; offsets: Offsets } {
    const cps = codePoints(text);
    const ctx = new SplitContext(cps);
    let offsets: Offsets = [cps.length];
    for (const step of this.steps) offsets = step.split(ctx, offsets);
    return { cps, offsets };
  }

  /** The words, each as GPT-2 byte-level text (unicode_byte_encoding_process). */
  split(text: string): string[] {
    const { cps, offsets } = this.splitOffsets(text);
    const words: string[] = [];
    let start = 0;
    for (const len of offsets) {
      let w = '';
      for (let i = start; i < start + len; i++) w += byteLevel(cps[i]);
      words.push(w);
      start += len;
    }
    return words;
  }
}

/** One code point's UTF-8 bytes, each replaced by its GPT-2 stand-in character. */
function byteLevel(cp: number): string {
  if (cp < 0x80) return BYTE_TO_CHAR[cp];
  if (cp < 0x800) return BYTE_TO_CHAR[0xc0 | (cp >> 6)] + BYTE_TO_CHAR[0x80 | (cp & 0x3f)];
  if (cp < 0x10000) {
    return BYTE_TO_CHAR[0xe0 | (cp >> 12)] + BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3f)] + BYTE_TO_CHAR[0x80 | (cp & 0x3f)];
  }
  return BYTE_TO_CHAR[0xf0 | (cp >> 18)] + BYTE_TO_CHAR[0x80 | ((cp >> 12) & 0x3f)]
    + BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3f)] + BYTE_TO_CHAR[0x80 | (cp & 0x3f)];
}
