// Tokenizers exactly as llama.cpp runs them: SPM ("llama"), byte-level BPE ("gpt2") and WordPiece ("bert"),
// built from a GGUF's tokenizer.* metadata.
import { readGGUF } from '../gguf/reader.js';
import type { GGUFFile } from '../gguf/types.js';
import { LlamaTokenizer } from './tokenizer.js';
import type { Tokenizer } from './types.js';
import { Vocab } from './vocab.js';

export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer, TokenizerModel } from './types.js';
export { TokenAttr, TokenizerError, TokenType } from './types.js';
export { PRE_TOKENIZERS } from './bpe-pretokenize.js';
export { convertTokenizer } from './convert.js';
export { LlamaTokenizer } from './tokenizer.js';
export { Vocab } from './vocab.js';

/** The tokenizer described by a parsed GGUF's metadata; TokenizerError for unsupported model / pre values. */
export function loadTokenizer(file: GGUFFile): Tokenizer {
  return new LlamaTokenizer(new Vocab(file));
}

export function loadTokenizerFromPath(path: string): Tokenizer {
  return loadTokenizer(readGGUF(path));
}
