// An incremental JSON validator over UTF-8 bytes: a pushdown automaton that says whether the bytes so
// far are a prefix of a valid JSON object (RFC 8259 value grammar, top level restricted to an object
// as OpenAI's json_object mode), whether the value is complete, and how many more characters it
// needs at the least to become complete. The container stack is a persistent linked list, so copying
// a state is O(1) and a token can be tried on a copy without disturbing the original.

/** Where the automaton is inside the JSON text. */
export const enum Mode {
  Top,        // before the top-level object: whitespace or '{'
  ObjFirst,   // after '{': whitespace, '"' (a key) or '}'
  ObjKey,     // after ',' in an object: whitespace or '"'
  Colon,      // after a key: whitespace or ':'
  Value,      // after ':' or ',' in an array: whitespace or the start of a value
  ArrFirst,   // after '[': whitespace, the start of a value, or ']'
  AfterValue, // after a value inside a container: whitespace, ',' or the container's closer
  String,     // inside a string (key or value)
  Number,     // inside a number
  Literal,    // inside true / false / null
  Done,       // the top-level object is closed
}

/** Number sub-states (RFC 8259 §6); the "need" ones cannot end the number yet. */
const enum Num { Minus, Zero, Int, Dot, Frac, Exp, ExpSign, ExpDigit }

/** Inside a string: 0 = plain, ESCAPE = after '\', 1..4 = hex digits still needed after '\u'. */
const ESCAPE = -1;

const LITERALS = ['true', 'false', 'null'] as const;

/**
 * Consecutive whitespace bytes allowed between JSON tokens (room for a newline and indentation, as
 * llama.cpp's JSON grammar allows), and before the object (a tokenizer's leading space, a newline):
 * keeps a model from padding with whitespace instead of writing the object.
 */
export const MAX_WHITESPACE_RUN = 24;
export const MAX_LEADING_WHITESPACE = 2;

export interface StackNode { readonly isObject: boolean; readonly parent: StackNode | null }

export interface JsonState {
  mode: Mode;
  stack: StackNode | null;
  depth: number;
  /** String: escape state; Number: Num sub-state; Literal: index into LITERALS. */
  sub: number;
  /** Literal: characters of it seen so far. String: UTF-8 continuation bytes still expected. */
  pos: number;
  /** String: whether it is an object key. */
  isKey: boolean;
  /** Consecutive whitespace bytes just seen. */
  ws: number;
}

export function initialJsonState(): JsonState {
  return { mode: Mode.Top, stack: null, depth: 0, sub: 0, pos: 0, isKey: false, ws: 0 };
}

export function copyJsonState(from: JsonState, to: JsonState): JsonState {
  to.mode = from.mode; to.stack = from.stack; to.depth = from.depth; to.sub = from.sub;
  to.pos = from.pos; to.isKey = from.isKey; to.ws = from.ws;
  return to;
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** Continuation bytes a UTF-8 lead byte announces, or -1 for a byte that cannot start a character. */
function utf8Continuations(b: number): number {
  if (b < 0x80) return 0;
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return -1;
}

/** A value just ended: back to the enclosing container, or Done at the top. */
function valueDone(s: JsonState): void {
  s.mode = s.depth === 0 ? Mode.Done : Mode.AfterValue;
}

function push(s: JsonState, isObject: boolean): void {
  s.stack = { isObject, parent: s.stack };
  s.depth++;
  s.mode = isObject ? Mode.ObjFirst : Mode.ArrFirst;
}

function pop(s: JsonState): void {
  s.stack = s.stack!.parent;
  s.depth--;
  valueDone(s);
}

function startKey(s: JsonState, b: number): boolean {
  if (b !== 0x22) return false;
  s.mode = Mode.String; s.isKey = true; s.sub = 0; s.pos = 0;
  return true;
}

/** The first byte of a value (not whitespace). */
function startValue(s: JsonState, b: number): boolean {
  switch (b) {
    case 0x7b: push(s, true); return true;  // {
    case 0x5b: push(s, false); return true; // [
    case 0x22: s.mode = Mode.String; s.isKey = false; s.sub = 0; s.pos = 0; return true;
    case 0x2d: s.mode = Mode.Number; s.sub = Num.Minus; return true;
    case 0x74: case 0x66: case 0x6e: // t f n
      s.mode = Mode.Literal;
      s.sub = b === 0x74 ? 0 : b === 0x66 ? 1 : 2;
      s.pos = 1;
      return true;
    default:
      if (!isDigit(b)) return false;
      s.mode = Mode.Number;
      s.sub = b === 0x30 ? Num.Zero : Num.Int;
      return true;
  }
}

/** Advances `s` by one byte in place; false (s then unspecified) when the byte breaks the grammar. */
export function stepJson(s: JsonState, b: number): boolean {
  const ws = isWhitespace(b);
  if (ws && s.mode !== Mode.String && s.mode !== Mode.Number && s.mode !== Mode.Literal && s.mode !== Mode.Done) {
    return ++s.ws <= (s.mode === Mode.Top ? MAX_LEADING_WHITESPACE : MAX_WHITESPACE_RUN);
  }
  s.ws = 0;
  switch (s.mode) {
    case Mode.Top:
      if (b !== 0x7b) return false;
      push(s, true);
      return true;
    case Mode.ObjFirst:
      if (b === 0x7d) { pop(s); return true; }
      return startKey(s, b);
    case Mode.ObjKey:
      return startKey(s, b);
    case Mode.Colon:
      if (b !== 0x3a) return false;
      s.mode = Mode.Value;
      return true;
    case Mode.ArrFirst:
      if (b === 0x5d) { pop(s); return true; }
      return startValue(s, b);
    case Mode.Value:
      return startValue(s, b);
    case Mode.AfterValue: {
      const inObject = s.stack!.isObject;
      if (b === 0x2c) { s.mode = inObject ? Mode.ObjKey : Mode.Value; return true; }
      if (b === (inObject ? 0x7d : 0x5d)) { pop(s); return true; }
      return false;
    }
    case Mode.String:
      return stepString(s, b);
    case Mode.Number:
      return stepNumber(s, b);
    case Mode.Literal: {
      const lit = LITERALS[s.sub]!;
      if (b !== lit.charCodeAt(s.pos)) return false;
      if (++s.pos === lit.length) valueDone(s);
      return true;
    }
    case Mode.Done:
      return false;
  }
}

function stepString(s: JsonState, b: number): boolean {
  if (s.pos > 0) { // inside a multi-byte character
    if (b < 0x80 || b > 0xbf) return false;
    s.pos--;
    return true;
  }
  if (s.sub === ESCAPE) {
    if (b === 0x75) { s.sub = 4; return true; } // \uXXXX
    // " \ / b f n r t
    if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) {
      s.sub = 0;
      return true;
    }
    return false;
  }
  if (s.sub > 0) {
    if (!isHex(b)) return false;
    s.sub--;
    return true;
  }
  if (b === 0x22) {
    if (s.isKey) s.mode = Mode.Colon;
    else valueDone(s);
    return true;
  }
  if (b === 0x5c) { s.sub = ESCAPE; return true; }
  if (b < 0x20) return false; // control characters must be escaped
  const more = utf8Continuations(b);
  if (more < 0) return false;
  s.pos = more;
  return true;
}

function stepNumber(s: JsonState, b: number): boolean {
  const digit = isDigit(b);
  const sub = s.sub as Num;
  if (sub === Num.Minus || sub === Num.Dot || sub === Num.ExpSign) {
    if (!digit) return false;
    s.sub = sub === Num.Dot ? Num.Frac : sub === Num.ExpSign ? Num.ExpDigit : b === 0x30 ? Num.Zero : Num.Int;
    return true;
  }
  if (sub === Num.Exp) {
    if (b === 0x2b || b === 0x2d) { s.sub = Num.ExpSign; return true; }
    if (!digit) return false;
    s.sub = Num.ExpDigit;
    return true;
  }
  // Zero, Int, Frac, ExpDigit: the number could end here.
  if (digit) return sub !== Num.Zero; // no leading zeros
  if (b === 0x2e && (sub === Num.Zero || sub === Num.Int)) { s.sub = Num.Dot; return true; }
  if ((b === 0x65 || b === 0x45) && sub !== Num.ExpDigit) { s.sub = Num.Exp; return true; }
  // The number ends here; the byte belongs to what follows it.
  valueDone(s);
  return stepJson(s, b);
}

/** Whether the bytes so far form a complete JSON object. */
export function jsonComplete(s: JsonState): boolean {
  return s.mode === Mode.Done;
}

/**
 * The fewest characters that complete the text from this state (0 when Done): the shortest way
 * out, e.g. in a key `":0}` plus one closer per open container.
 */
export function charsToComplete(s: JsonState): number {
  const closers = s.depth;
  switch (s.mode) {
    case Mode.Top: return 2;              // {}
    case Mode.ObjFirst: return closers;
    case Mode.ObjKey: return 4 + closers; // "":0
    case Mode.Colon: return 2 + closers;  // :0
    case Mode.Value: return 1 + closers;  // 0
    case Mode.ArrFirst: return closers;
    case Mode.AfterValue: return closers;
    case Mode.String: {
      const escape = s.sub === ESCAPE ? 1 : s.sub;
      return s.pos + escape + 1 + (s.isKey ? 2 : 0) + closers;
    }
    case Mode.Number: {
      const needsDigit = s.sub === Num.Minus || s.sub === Num.Dot || s.sub === Num.Exp || s.sub === Num.ExpSign;
      return (needsDigit ? 1 : 0) + closers;
    }
    case Mode.Literal: return LITERALS[s.sub]!.length - s.pos + closers;
    case Mode.Done: return 0;
  }
}

/** Whether `s` is inside a string with no escape or multi-byte character pending. */
export function inPlainString(s: JsonState): boolean {
  return s.mode === Mode.String && s.sub === 0 && s.pos === 0;
}
