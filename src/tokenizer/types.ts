// Public tokenizer types. The behaviour follows llama.cpp's llama-vocab.cpp (see each implementation file).

/** A tokenizer problem a user can act on: unsupported model or pre-tokenizer, missing vocab, bad id. */
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export interface EncodeOptions {
  /** Add BOS/EOS as the model asks (add_bos_token / add_eos_token, else llama.cpp's default per model type). Default true. */
  addSpecial?: boolean;
  /** Turn the text of control tokens (e.g. `<|im_start|>`) into their ids. Default false: such text is plain text. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Render control/unknown tokens as their text. Default false (they render as nothing). */
  special?: boolean;
}

export interface StreamDecoder {
  /** Add one token; returns the text that is now complete (never half a UTF-8 character). */
  push(id: number): string;
  /** The rest, with any unfinished UTF-8 sequence replaced by U+FFFD. */
  flush(): string;
}

export type TokenizerModel = 'llama' | 'gpt2' | 'bert';

export interface Tokenizer {
  readonly model: TokenizerModel;
  readonly pre: string;
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly eot: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  /** llama.cpp's token_to_piece concatenated (specials rendered only if `special` true, default false); invalid UTF-8 replaced. */
  decode(ids: number[], opts?: DecodeOptions): string;
  /** llama.cpp's llama_detokenize: like decode, but drops the SPM prefix space and applies clean_spaces where the model asks. */
  detokenize(ids: number[], opts?: { removeSpecial?: boolean; unparseSpecial?: boolean }): string;
  /** The bytes of one token (llama.cpp token_to_piece, special = true by default). */
  pieceBytes(id: number, opts?: DecodeOptions): Uint8Array;
  /** pieceBytes as text (special = true), invalid UTF-8 replaced. */
  piece(id: number): string;
  isEog(id: number): boolean;
  isControl(id: number): boolean;
  /** Streaming detokenizer: push ids, get text that never ends in half a UTF-8 character; flush() returns the rest. */
  streamDecoder(opts?: DecodeOptions): StreamDecoder;
  /** The token's text as stored in the vocabulary (e.g. `▁Hello`, `Ġworld`, `<0x0A>`). */
  tokenText(id: number): string;
}

/** tokenizer.ggml.token_type values (llama.h `llama_token_type`). */
export enum TokenType {
  UNDEFINED = 0, NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6,
}

/** llama.h `llama_token_attr` bits, derived from the token type (plus the lstrip/rstrip llama.cpp adds per model). */
export enum TokenAttr {
  UNDEFINED = 0,
  UNKNOWN = 1 << 0,
  UNUSED = 1 << 1,
  NORMAL = 1 << 2,
  CONTROL = 1 << 3,
  USER_DEFINED = 1 << 4,
  BYTE = 1 << 5,
  LSTRIP = 1 << 7,
  RSTRIP = 1 << 8,
}
