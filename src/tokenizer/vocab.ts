// The vocabulary as llama.cpp's llama_vocab::impl::load builds it from GGUF metadata:
// token texts, scores, attributes, special ids with per-model defaults, tokenizer flags,
// BPE merge ranks, the end-of-generation set and the special-token cache.
import type { GGUFFile, GGUFValue } from '../gguf/types.js';
import { PRE_TOKENIZERS, type PreTokenizerSpec } from './bpe-pretokenize.js';
import { TokenAttr, TokenizerError, TokenType, type TokenizerModel } from './types.js';

const SUPPORTED_MODELS: TokenizerModel[] = ['llama', 'gpt2', 'bert'];

// Token texts llama.cpp (llama-vocab.cpp, 2025-2026) recognises by name. It marks every token it finds this way
// as control (adding the bit), which also stops it being split out of plain text when parse_special is off.
const EOT_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '[EOT]',
  '<end_of_utterance>', '<｜end▁of▁sentence｜>'];
const EOG_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>', '<|endoftext|>',
  '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<turn|>', '<|tool_response>'];
/** FIM token texts per role (GGUF key tokenizer.ggml.fim_<role>_token_id); pad/rep/sep also end generation. */
const FIM_TEXTS: Record<string, { texts: string[]; eog: boolean }> = {
  pre: { texts: ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<PRE>', '<|code_prefix|>', '<|prefix|>'], eog: false },
  suf: { texts: ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<SUF>', '<|code_suffix|>', '<|suffix|>'], eog: false },
  mid: { texts: ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<MID>', '<|code_middle|>', '<|middle|>'], eog: false },
  pad: { texts: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'], eog: true },
  rep: { texts: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'], eog: true },
  sep: { texts: ['<|file_sep|>'], eog: true },
};
/** gpt-oss: llama.cpp always renders these, as user-defined tokens. */
const ALWAYS_RENDERED = ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>'];

export class Vocab {
  readonly model: TokenizerModel;
  /** tokenizer.ggml.pre as stored ('' when absent). */
  readonly preName: string;
  /** The pre-tokenizer for BPE vocabularies (null for SPM/WPM). */
  readonly pre: PreTokenizerSpec | null;
  readonly texts: string[];
  readonly scores: Float32Array;
  readonly attrs: Uint16Array;
  /** text -> id; a text that occurs twice maps to its last id, as llama.cpp's token_to_id does. */
  readonly textToId = new Map<string, number>();
  /** BPE merges "left right" -> rank (first occurrence wins). */
  readonly mergeRanks = new Map<string, number>();
  /** Longest token text in UTF-16 units (bounds WordPiece's longest-match search). */
  readonly maxTokenLength: number;

  bos: number | null = null;
  eos: number | null = null;
  eot: number | null = null;
  eom: number | null = null;
  unk: number | null = null;
  sep: number | null = null;
  pad: number | null = null;

  addBos = false;
  addEos = false;
  addSpacePrefix = false;
  /** llama.cpp's clean_spaces (clean_up_tokenization_spaces) used by detokenize. */
  cleanSpaces = false;
  /** Llama-3 style: a pre-token that is itself a token is not split by merges. */
  ignoreMerges = false;

  readonly eogIds = new Set<number>();
  /** Control, user-defined and unknown tokens, longest text first (llama.cpp's cache_special_tokens). */
  readonly specialTokens: number[];

  constructor(readonly file: GGUFFile) {
    const meta = file.metadata;
    const where = file.path;
    const modelName = meta.get('tokenizer.ggml.model');
    if (typeof modelName !== 'string') throw new TokenizerError(`${where}: no tokenizer in this GGUF (tokenizer.ggml.model is missing)`);
    if (!(SUPPORTED_MODELS as string[]).includes(modelName)) {
      throw new TokenizerError(`${where}: unsupported tokenizer model "${modelName}" (supported: ${SUPPORTED_MODELS.join(', ')})`);
    }
    this.model = modelName as TokenizerModel;
    const preValue = meta.get('tokenizer.ggml.pre');
    this.preName = typeof preValue === 'string' ? preValue : '';

    const tokens = meta.get('tokenizer.ggml.tokens');
    if (!Array.isArray(tokens) || tokens.length === 0) throw new TokenizerError(`${where}: tokenizer.ggml.tokens is missing or empty`);
    const n = tokens.length;
    this.texts = tokens.map((t, i) => (typeof t === 'string' && t.length > 0 ? t : `[EMPTY_${i}]`));
    this.scores = numericArray(meta.get('tokenizer.ggml.scores'), n, Float32Array, 'tokenizer.ggml.scores', where) ?? new Float32Array(n);
    const types = numericArray(meta.get('tokenizer.ggml.token_type'), n, Int32Array, 'tokenizer.ggml.token_type', where);
    this.attrs = new Uint16Array(n);
    let maxLen = 0;
    for (let i = 0; i < n; i++) {
      this.attrs[i] = types ? attrFromType(types[i]) : TokenAttr.NORMAL;
      this.textToId.set(this.texts[i], i);
      if (this.texts[i].length > maxLen) maxLen = this.texts[i].length;
    }
    this.maxTokenLength = maxLen;

    // Per-model defaults (llama_vocab::impl::load), then the GGUF keys override them.
    let pre: PreTokenizerSpec | null = null;
    if (this.model === 'llama') {
      this.bos = 1; this.eos = 2; this.unk = 0;
      this.addSpacePrefix = true; this.addBos = true;
    } else if (this.model === 'bert') {
      this.bos = 101; this.unk = 100; this.sep = 102; this.pad = 0;
      this.cleanSpaces = true; this.addBos = true;
    } else {
      this.bos = 11; this.eos = 11;
      this.cleanSpaces = true;
      pre = resolvePre(this.preName, where);
      if (pre.cleanSpaces !== undefined) this.cleanSpaces = pre.cleanSpaces;
      this.ignoreMerges = pre.ignoreMerges ?? false;
      this.addBos = pre.addBos ?? false;
      this.loadMerges(meta.get('tokenizer.ggml.merges'), where);
    }
    this.pre = pre;

    const addPrefix = meta.get('tokenizer.ggml.add_space_prefix');
    if (typeof addPrefix === 'boolean') this.addSpacePrefix = addPrefix;

    const idKey = (key: string, current: number | null): number | null => {
      const v = meta.get(key);
      if (typeof v !== 'number') return current;
      return v >= 0 && v < n ? v : current; // llama.cpp: out-of-range ids (e.g. 0xFFFFFFFF) keep the default
    };
    if (this.model === 'bert') this.bos = idKey('tokenizer.ggml.cls_token_id', this.bos); // BERT files name their BOS "cls"
    this.bos = idKey('tokenizer.ggml.bos_token_id', this.bos);
    this.eos = idKey('tokenizer.ggml.eos_token_id', this.eos);
    this.eot = idKey('tokenizer.ggml.eot_token_id', this.eot);
    this.eom = idKey('tokenizer.ggml.eom_token_id', this.eom);
    this.unk = idKey('tokenizer.ggml.unknown_token_id', this.unk);
    this.sep = idKey('tokenizer.ggml.seperator_token_id', this.sep);
    this.pad = idKey('tokenizer.ggml.padding_token_id', this.pad);
    const addBos = meta.get('tokenizer.ggml.add_bos_token');
    if (typeof addBos === 'boolean') this.addBos = addBos;
    const addEos = meta.get('tokenizer.ggml.add_eos_token');
    if (typeof addEos === 'boolean') this.addEos = addEos;

    this.findEndOfGeneration();
    this.specialTokens = this.buildSpecialCache();
    this.applyModelAttrs(meta.get('general.name'));
  }

  get size(): number { return this.texts.length; }

  hasAttr(id: number, attr: TokenAttr): boolean {
    return (this.attrs[id] & attr) !== 0;
  }

  private loadMerges(value: GGUFValue | undefined, where: string): void {
    if (!Array.isArray(value)) throw new TokenizerError(`${where}: BPE tokenizer without tokenizer.ggml.merges`);
    for (let i = 0; i < value.length; i++) {
      const line = value[i];
      if (typeof line !== 'string') continue;
      // llama.cpp splits at the first space after position 0 and keys the pair; "left right" is that key.
      const pos = line.indexOf(' ', 1);
      const key = pos < 0 ? ' ' : line;
      if (!this.mergeRanks.has(key)) this.mergeRanks.set(key, i);
    }
  }

  /** EOT/EOM/FIM/EOG detection by token text, as llama.cpp's load() does it. */
  private findEndOfGeneration(): void {
    const idOf = (texts: string[]): number | null => {
      for (const t of texts) {
        const id = this.textToId.get(t);
        if (id !== undefined) return id;
      }
      return null;
    };
    const markControl = (id: number): void => { this.attrs[id] |= TokenAttr.CONTROL; };
    if (this.eot === null) {
      this.eot = idOf(EOT_TEXTS);
      if (this.eot !== null) markControl(this.eot);
    }
    if (this.eom === null) {
      this.eom = idOf(['<|eom_id|>']);
      if (this.eom !== null) markControl(this.eom);
    }
    for (const [role, { texts, eog }] of Object.entries(FIM_TEXTS)) {
      const fromKey = this.file.metadata.get(`tokenizer.ggml.fim_${role}_token_id`);
      let id = typeof fromKey === 'number' && fromKey >= 0 && fromKey < this.size ? fromKey : null;
      if (id === null) {
        id = idOf(texts);
        if (id !== null) markControl(id);
      }
      if (id !== null && eog) this.eogIds.add(id);
    }
    for (const t of EOG_TEXTS) {
      const id = this.textToId.get(t);
      if (id !== undefined) { this.eogIds.add(id); markControl(id); }
    }
    for (const t of ALWAYS_RENDERED) {
      const id = this.textToId.get(t);
      if (id !== undefined) this.attrs[id] = TokenAttr.USER_DEFINED;
    }
    for (const id of [this.eos, this.eot, this.eom]) if (id !== null) this.eogIds.add(id);

    const eogText = (t: string): number | undefined => [...this.eogIds].find((id) => this.texts[id] === t);
    // o200k_harmony / solar-open: <|end|> separates messages there, it does not end generation
    const end = eogText('<|end|>');
    const hasCall = (eogText('<|call|>') ?? eogText('<|calls|>')) !== undefined;
    if (end !== undefined && hasCall && (eogText('<|return|>') !== undefined || eogText('<|flush|>') !== undefined)) {
      this.eogIds.delete(end);
      this.attrs[end] = TokenAttr.USER_DEFINED;
    }
    // gemma4 / paddleocr: </s> is an ordinary token there
    const s = eogText('</s>');
    if (s !== undefined && eogText('<|tool_response>') !== undefined) {
      this.eogIds.delete(s);
      this.attrs[s] = TokenAttr.NORMAL;
    }
  }

  private buildSpecialCache(): number[] {
    const ids: number[] = [];
    const mask = TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN;
    for (let id = 0; id < this.size; id++) if (this.attrs[id] & mask) ids.push(id);
    // Longest first; ties by id so the order is deterministic (llama.cpp's std::sort leaves it unspecified).
    ids.sort((a, b) => this.texts[b].length - this.texts[a].length || a - b);
    return ids;
  }

  /** Per-model lstrip/rstrip attributes llama.cpp sets by name (Phi-3 strips spaces after its special tokens). */
  private applyModelAttrs(nameValue: GGUFValue | undefined): void {
    const name = typeof nameValue === 'string' ? nameValue.toLowerCase() : '';
    const setAttr = (text: string, attr: TokenAttr, on: boolean): void => {
      const id = this.textToId.get(text);
      if (id === undefined) return;
      this.attrs[id] = on ? this.attrs[id] | attr : this.attrs[id] & ~attr;
    };
    if (['jina-v2-de', 'jina-v2-es', 'jina-v2-code'].some((p) => this.preName.includes(p))) {
      setAttr('<mask>', TokenAttr.LSTRIP, true);
    } else if (name.includes('phi-3') || name.includes('phi3')) {
      for (const id of this.specialTokens) this.attrs[id] |= TokenAttr.RSTRIP;
      setAttr('</s>', TokenAttr.RSTRIP, true);
      for (const t of ['<unk>', '<s>', '<|endoftext|>']) setAttr(t, TokenAttr.RSTRIP, false);
    }
  }
}

function attrFromType(type: number): TokenAttr {
  switch (type) {
    case TokenType.UNKNOWN: return TokenAttr.UNKNOWN;
    case TokenType.UNUSED: return TokenAttr.UNUSED;
    case TokenType.NORMAL: return TokenAttr.NORMAL;
    case TokenType.CONTROL: return TokenAttr.CONTROL;
    case TokenType.USER_DEFINED: return TokenAttr.USER_DEFINED;
    case TokenType.BYTE: return TokenAttr.BYTE;
    default: return TokenAttr.UNDEFINED;
  }
}

function numericArray<T extends Float32Array | Int32Array>(
  value: GGUFValue | undefined, n: number, Type: { new (len: number): T; from(a: ArrayLike<number>): T },
  key: string, where: string,
): T | null {
  if (value === undefined) return null;
  if (!ArrayBuffer.isView(value) && !Array.isArray(value)) throw new TokenizerError(`${where}: ${key} should be an array`);
  const arr = value as ArrayLike<number>;
  if (arr.length !== n) throw new TokenizerError(`${where}: ${key} has ${arr.length} entries but there are ${n} tokens`);
  return value instanceof Type ? value as T : Type.from(Array.from(arr, Number));
}

function resolvePre(name: string, where: string): PreTokenizerSpec {
  const key = name === '' ? 'default' : name;
  const spec = PRE_TOKENIZERS.get(key);
  if (!spec) {
    const supported = [...PRE_TOKENIZERS.keys()].sort().join(', ');
    throw new TokenizerError(`${where}: unsupported BPE pre-tokenizer "${name}" (tokenizer.ggml.pre); supported: ${supported}`);
  }
  return spec;
}
