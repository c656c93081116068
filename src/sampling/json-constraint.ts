// JSON-mode constrained decoding: a TokenConstraint that only allows tokens whose bytes keep the
// output a valid prefix of a JSON object, allows the end tokens (EOG / end of turn) only once the
// object is complete, and — given the token budget — only tokens after which the object can still
// be closed within the tokens left, so output cut off by max_tokens is complete JSON too.
//
// Speed (the Sampler may ask about every id of a 50k vocabulary per step): piece bytes are built
// once per tokenizer; inside a string, a token of plain string characters is answered in O(1)
// from a precomputed flag; elsewhere most tokens fail on their first byte.
import type { Tokenizer } from '../tokenizer/types.js';
import {
  charsToComplete, copyJsonState, initialJsonState, inPlainString, jsonComplete, Mode, stepJson, type JsonState,
} from './json-automaton.js';
import type { TokenConstraint } from './params.js';

/** Per-vocabulary tables the constraint reads; built once per tokenizer. */
interface PieceTable {
  /** [n_vocab] the bytes each token appends to the output (as the stream decoder renders it). */
  bytes: Uint8Array[];
  /** [n_vocab] 1 when the token is non-empty text that may stand anywhere inside a JSON string. */
  plainString: Uint8Array;
}

const tables = new WeakMap<Tokenizer, PieceTable>();

function pieceTable(tok: Tokenizer): PieceTable {
  let t = tables.get(tok);
  if (t) return t;
  const n = tok.vocabSize;
  const bytes: Uint8Array[] = new Array(n);
  const plainString = new Uint8Array(n);
  for (let id = 0; id < n; id++) {
    const b = tok.pieceBytes(id, { special: false });
    bytes[id] = b;
    plainString[id] = b.length > 0 && isPlainStringText(b) ? 1 : 0;
  }
  t = { bytes, plainString };
  tables.set(tok, t);
  return t;
}

/** No quote, backslash or control byte, and whole UTF-8 characters only. */
function isPlainStringText(b: Uint8Array): boolean {
  const s = initialJsonState();
  // Run the bytes through a string that is already open: they must leave it open and plain.
  s.mode = Mode.String; s.depth = 1; s.stack = { isObject: true, parent: null };
  for (const byte of b) if (!stepJson(s, byte) || s.mode !== Mode.String || s.sub !== 0) return false;
  return inPlainString(s);
}

export interface JsonConstraintOptions {
  /** Ids that end the output besides the tokenizer's EOG ids (e.g. the chat template's end of turn). */
  endTokens?: readonly number[];
  /** Most tokens the output may have (max_tokens, or what is left of the context); omitted = unbounded. */
  maxTokens?: number;
}

export class JsonConstraint implements TokenConstraint {
  private readonly table: PieceTable;
  private readonly endTokens: Set<number>;
  private readonly maxTokens: number;
  private state: JsonState = initialJsonState();
  private readonly trial: JsonState = initialJsonState();
  private accepted = 0;
  private ended = false;

  constructor(private readonly tokenizer: Tokenizer, opts: JsonConstraintOptions = {}) {
    this.table = pieceTable(tokenizer);
    this.endTokens = new Set(opts.endTokens ?? []);
    this.maxTokens = opts.maxTokens ?? Infinity;
    if (!(this.maxTokens >= 1)) throw new RangeError(`JsonConstraint: maxTokens must be ≥ 1, got ${opts.maxTokens}`);
  }

  /** Whether the accepted tokens form a complete JSON object. */
  get complete(): boolean {
    return jsonComplete(this.state);
  }

  allowed(id: number): boolean {
    if (this.ended) return false;
    if (this.isEnd(id)) return jsonComplete(this.state);
    const bytes = this.table.bytes[id];
    if (!bytes || bytes.length === 0) return false; // control tokens and empty pieces add nothing
    // Tokens that may follow this one: the object must still be closable within them.
    const left = this.maxTokens - this.accepted - 1;
    const budgetApplies = charsToComplete(this.state) <= left + 1; // else the budget is hopeless anyway
    if (this.table.plainString[id] && inPlainString(this.state)) {
      return !budgetApplies || charsToComplete(this.state) <= left;
    }
    const s = copyJsonState(this.state, this.trial);
    for (let i = 0; i < bytes.length; i++) if (!stepJson(s, bytes[i]!)) return false;
    return !budgetApplies || charsToComplete(s) <= left;
  }

  accept(id: number): void {
    this.accepted++;
    if (this.isEnd(id)) { this.ended = true; return; }
    const bytes = this.table.bytes[id] ?? new Uint8Array(0);
    for (const b of bytes) {
      if (!stepJson(this.state, b)) throw new Error(`JsonConstraint: token ${id} (${JSON.stringify(this.tokenizer.piece(id))}) breaks the JSON; was it allowed?`);
    }
  }

  private isEnd(id: number): boolean {
    return this.tokenizer.isEog(id) || this.endTokens.has(id);
  }
}
