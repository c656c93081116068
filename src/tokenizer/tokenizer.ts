// The Tokenizer: llama.cpp's llama_vocab::impl::tokenize / token_to_piece / detokenize over one Vocab.
import { BpeEncoder } from './bpe.js';
import { partitionSpecial } from './special.js';
import { SpmEncoder } from './spm.js';
import { createStreamDecoder } from './stream.js';
import { TokenAttr, TokenizerError, type DecodeOptions, type EncodeOptions, type StreamDecoder, type Tokenizer, type TokenizerModel } from './types.js';
import { charToByte, utf8Decode, utf8Encode } from './unicode.js';
import type { Vocab } from './vocab.js';
import { WordPieceEncoder } from './wordpiece.js';

interface FragmentEncoder { encode(text: string, out: number[]): void }

const EMPTY = new Uint8Array(0);
const ESCAPED_SPACE = '\u2581';

export class LlamaTokenizer implements Tokenizer {
  private readonly encoder: FragmentEncoder;
  /** token_to_piece caches: [special = false, special = true]. */
  private readonly pieces: [(Uint8Array | undefined)[], (Uint8Array | undefined)[]];

  constructor(readonly vocab: Vocab) {
    this.encoder = vocab.model === 'llama' ? new SpmEncoder(vocab)
      : vocab.model === 'gpt2' ? new BpeEncoder(vocab)
      : new WordPieceEncoder(vocab);
    this.pieces = [new Array(vocab.size), new Array(vocab.size)];
  }

  get model(): TokenizerModel { return this.vocab.model; }
  get pre(): string { return this.vocab.preName || 'default'; }
  get vocabSize(): number { return this.vocab.size; }
  get bos(): number | null { return this.vocab.bos; }
  get eos(): number | null { return this.vocab.eos; }
  get eot(): number | null { return this.vocab.eot; }
  get addBos(): boolean { return this.vocab.addBos; }
  get addEos(): boolean { return this.vocab.addEos; }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addSpecial = opts.addSpecial ?? true;
    const { vocab } = this;
    const out: number[] = [];
    const fragments = partitionSpecial(vocab, text, opts.parseSpecial ?? false);
    // BERT always frames with [CLS] ... [SEP]; the others follow add_bos / add_eos.
    const bos = vocab.model === 'bert' ? addSpecial : addSpecial && vocab.addBos;
    const eos = vocab.model === 'bert' ? addSpecial : addSpecial && vocab.addEos;
    if (bos) out.push(this.required(vocab.bos, 'BOS'));
    let prevSpecial = true; // SPM: the first text fragment gets the space prefix
    for (const f of fragments) {
      if (!f.text) {
        out.push(f.id);
        prevSpecial = true;
        continue;
      }
      let piece = text.substr(f.offset, f.length);
      if (vocab.model === 'llama') {
        if (vocab.addSpacePrefix && prevSpecial) piece = ' ' + piece;
        piece = piece.replaceAll(' ', ESCAPED_SPACE);
      }
      this.encoder.encode(piece, out);
      prevSpecial = false;
    }
    if (eos) out.push(this.required(vocab.model === 'bert' ? vocab.sep : vocab.eos, vocab.model === 'bert' ? 'SEP' : 'EOS'));
    return out;
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    const parts = ids.map((id) => this.pieceBytes(id, { special: opts.special ?? false }));
    return utf8Decode(Buffer.concat(parts));
  }

  detokenize(ids: number[], opts: { removeSpecial?: boolean; unparseSpecial?: boolean } = {}): string {
    const { vocab } = this;
    let tokens = ids;
    let removeSpace = vocab.addSpacePrefix;
    if (opts.removeSpecial && vocab.addBos && tokens.length > 0 && tokens[0] === vocab.bos) {
      removeSpace = false;
      tokens = tokens.slice(1);
    }
    if (opts.removeSpecial && vocab.addEos && tokens.length > 0 && tokens[tokens.length - 1] === vocab.eos) {
      tokens = tokens.slice(0, -1);
    }
    const parts: Uint8Array[] = [];
    for (const id of tokens) {
      let piece = this.pieceBytes(id, { special: opts.unparseSpecial ?? false });
      if (removeSpace && piece.length > 0 && piece[0] === 0x20) piece = piece.subarray(1); // lstrip = 1
      removeSpace = false;
      parts.push(piece);
    }
    let bytes: Uint8Array = Buffer.concat(parts);
    if (vocab.cleanSpaces) bytes = cleanSpaces(bytes);
    return utf8Decode(bytes);
  }

  pieceBytes(id: number, opts: DecodeOptions = {}): Uint8Array {
    this.checkId(id);
    const special = opts.special ?? true;
    const cache = this.pieces[special ? 1 : 0];
    let p = cache[id];
    if (p === undefined) {
      p = this.tokenToPiece(id, special);
      cache[id] = p;
    }
    return p;
  }

  piece(id: number): string {
    return utf8Decode(this.pieceBytes(id));
  }

  isEog(id: number): boolean { return this.vocab.eogIds.has(id); }
  isControl(id: number): boolean { return id >= 0 && id < this.vocab.size && this.vocab.hasAttr(id, TokenAttr.CONTROL); }

  streamDecoder(opts: DecodeOptions = {}): StreamDecoder {
    const special = opts.special ?? false;
    return createStreamDecoder((id) => this.pieceBytes(id, { special }));
  }

  tokenText(id: number): string {
    this.checkId(id);
    return this.vocab.texts[id];
  }

  /** llama_vocab::impl::token_to_piece without lstrip. */
  private tokenToPiece(id: number, special: boolean): Uint8Array {
    const { vocab } = this;
    const attr = vocab.attrs[id];
    const text = vocab.texts[id];
    if (!special && (attr & (TokenAttr.UNKNOWN | TokenAttr.CONTROL))) return EMPTY;
    if (attr & (TokenAttr.UNKNOWN | TokenAttr.CONTROL | TokenAttr.USER_DEFINED)) return utf8Encode(text);
    if (vocab.model === 'gpt2') {
      return attr & TokenAttr.NORMAL ? byteLevelDecode(text) : EMPTY;
    }
    if (attr & TokenAttr.NORMAL) return utf8Encode(text.replaceAll(ESCAPED_SPACE, ' '));
    if (attr & TokenAttr.BYTE) return Uint8Array.of(parseInt(text.substring(3, 5), 16));
    return EMPTY;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) {
      throw new TokenizerError(`token id ${id} is out of range (vocabulary has ${this.vocab.size} tokens)`);
    }
  }

  private required(id: number | null, what: string): number {
    if (id === null) throw new TokenizerError(`this model asks for a ${what} token but its vocabulary defines none`);
    return id;
  }
}

/** GPT-2 byte-level text back to bytes (llama_decode_text), with llama.cpp's marker for foreign code points. */
function byteLevelDecode(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = charToByte(ch.codePointAt(0) ?? 0);
    if (b !== undefined) { out.push(b); continue; }
    const hex = Array.from(utf8Encode(ch), (x) => x.toString(16).padStart(2, '0')).join('');
    out.push(...utf8Encode(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}

/** llama.cpp's clean_spaces passes over the detokenized bytes (" ?" -> "?", " ' " -> "'", " 's" -> "'s", ...). */
function cleanSpaces(input: Uint8Array): Uint8Array {
  const t = Uint8Array.from(input);
  const SP = 0x20, AP = 0x27;
  // pass 1: drop the space before ? ! . ,
  let total1 = t.length;
  let total = total1 ? 1 : 0;
  for (let i = 1; i < total1; i++) {
    const x = t[i];
    if (t[i - 1] === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    t[total++] = x;
  }
  // pass 2: a lone apostrophe between spaces loses both spaces
  const total2 = total;
  total = total ? 1 : 0;
  for (let i = 1; i < total2; i++) {
    const x = t[i];
    if (x === AP && i + 1 < total2 && t[i - 1] === SP && t[i + 1] === SP) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
  }
  // pass 3: contractions " 's", " 'm", " 're", " 've" lose the space
  const total3 = total;
  total = total ? 1 : 0;
  for (let i = 1; i < total3; i++) {
    const x = t[i];
    if (t[i - 1] === SP && x === AP && i + 1 < total3) {
      const x1 = t[i + 1];
      if (x1 === 0x73 || x1 === 0x6d) total--; // s m
      else if (i + 2 < total3) {
        const x2 = t[i + 2];
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) total--; // re ve
      }
    }
    t[total++] = x;
  }
  total1 = total;
  return t.subarray(0, total1);
}
