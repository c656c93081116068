// Hugging Face tokenizer.json (+ tokenizer_config.json) -> GGUF tokenizer metadata, following what
// llama.cpp's convert_hf_to_gguf.py writes for byte-level BPE models (get_vocab_base + SpecialVocab):
// tokens by id (gaps become [PADn] UNUSED), NORMAL / CONTROL / USER_DEFINED types, merges, special ids,
// add_bos/add_eos, the chat template, and `tokenizer.ggml.pre` recognised from the pre-tokenizer regex.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kv, type GGUFWriteKV } from '../gguf/writer.js';
import { TokenizerError, TokenType } from './types.js';

export interface ConvertOptions {
  /** Force tokenizer.ggml.pre instead of recognising it. */
  pre?: string;
  /** general.name (default: the tokenizer.json's folder name). */
  name?: string;
}

interface AddedToken { id: number; content: string; special?: boolean }
interface HFTokenizerJson {
  added_tokens?: AddedToken[];
  pre_tokenizer?: PreTok | null;
  post_processor?: PostProc | null;
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[]; byte_fallback?: boolean };
}
interface PreTok { type: string; pretokenizers?: PreTok[]; pattern?: { Regex?: string; String?: string }; use_regex?: boolean }
interface PostProc { type: string; single?: TemplatePiece[]; processors?: PostProc[] }
type TemplatePiece = { SpecialToken?: { id: string } } | { Sequence?: { id: string } };
type TokenRef = string | { content?: string } | null | undefined;

/** Pre-tokenizer regexes as they appear in tokenizer.json, and the llama.cpp pre name each one means. */
const KNOWN_SPLIT_REGEXES: [string, string][] = [
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'llama-bpe'],
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'qwen2'],
];

const ARCH_FOR_PRE: Record<string, string> = { 'llama-bpe': 'llama', qwen2: 'qwen2', 'gpt-2': 'gpt2' };

export function convertTokenizer(tokenizerJsonPath: string, tokenizerConfigPath?: string, opts: ConvertOptions = {}): { kvs: GGUFWriteKV[] } {
  const tj = readJson(tokenizerJsonPath) as HFTokenizerJson;
  const configPath = tokenizerConfigPath ?? join(dirname(tokenizerJsonPath), 'tokenizer_config.json');
  const config = (tokenizerConfigPath !== undefined || existsSync(configPath) ? readJson(configPath) : {}) as Record<string, unknown>;

  const model = tj.model;
  if (!model || model.type !== 'BPE' || !model.vocab || !model.merges) {
    throw new TokenizerError(`${tokenizerJsonPath}: only byte-level BPE tokenizer.json files are supported (model.type is ${JSON.stringify(model?.type)})`);
  }
  if (model.byte_fallback) {
    throw new TokenizerError(`${tokenizerJsonPath}: a SentencePiece-style BPE (byte_fallback) tokenizer.json is not supported; only byte-level BPE`);
  }

  // id -> token text and type
  const byId = new Map<number, { text: string; type: TokenType }>();
  for (const [text, id] of Object.entries(model.vocab)) byId.set(id, { text, type: TokenType.NORMAL });
  for (const t of tj.added_tokens ?? []) {
    const control = t.special === true || looksSpecial(t.content);
    // user-defined tokens are matched raw in the text; llama.cpp's converter also un-escapes SentencePiece spaces
    byId.set(t.id, { text: control ? t.content : t.content.replaceAll('\u2581', ' '), type: control ? TokenType.CONTROL : TokenType.USER_DEFINED });
  }
  let size = 0;
  for (const id of byId.keys()) size = Math.max(size, id + 1);
  const tokens: string[] = new Array(size);
  const types = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const t = byId.get(i);
    tokens[i] = t ? t.text : `[PAD${i}]`;
    types[i] = t ? t.type : TokenType.UNUSED;
  }
  const idOf = new Map<string, number>();
  tokens.forEach((t, i) => { if (!idOf.has(t)) idOf.set(t, i); });

  const merges = model.merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));
  const pre = opts.pre ?? recognisePre(tj.pre_tokenizer, tokenizerJsonPath);

  const kvs: GGUFWriteKV[] = [
    kv.string('general.architecture', ARCH_FOR_PRE[pre] ?? 'llama'),
    kv.string('general.name', opts.name ?? dirname(tokenizerJsonPath).split(/[\\/]/).filter(Boolean).slice(-2).join('/')),
    kv.string('tokenizer.ggml.model', 'gpt2'),
    kv.string('tokenizer.ggml.pre', pre),
    kv.stringArray('tokenizer.ggml.tokens', tokens),
    kv.i32Array('tokenizer.ggml.token_type', types),
    kv.stringArray('tokenizer.ggml.merges', merges),
  ];

  // Special token ids: tokenizer_config.json names them; the post-processor template says which get added.
  const special = (ref: TokenRef): number | undefined => {
    const text = typeof ref === 'string' ? ref : ref?.content;
    return text === undefined ? undefined : idOf.get(text);
  };
  const bos = special(config.bos_token as TokenRef);
  const eos = special(config.eos_token as TokenRef);
  const unk = special(config.unk_token as TokenRef);
  const pad = special(config.pad_token as TokenRef);
  if (bos !== undefined) kvs.push(kv.u32('tokenizer.ggml.bos_token_id', bos));
  if (eos !== undefined) kvs.push(kv.u32('tokenizer.ggml.eos_token_id', eos));
  if (unk !== undefined) kvs.push(kv.u32('tokenizer.ggml.unknown_token_id', unk));
  if (pad !== undefined) kvs.push(kv.u32('tokenizer.ggml.padding_token_id', pad));

  const template = templateSpecials(tj.post_processor);
  const addBos = typeof config.add_bos_token === 'boolean' ? config.add_bos_token
    : template ? bos !== undefined && template.first === tokens[bos] : undefined;
  const addEos = typeof config.add_eos_token === 'boolean' ? config.add_eos_token
    : template ? eos !== undefined && template.last === tokens[eos] : undefined;
  if (addBos !== undefined) kvs.push(kv.bool('tokenizer.ggml.add_bos_token', addBos));
  if (addEos !== undefined) kvs.push(kv.bool('tokenizer.ggml.add_eos_token', addEos));

  const chatTemplate = pickChatTemplate(config.chat_template);
  if (chatTemplate !== undefined) kvs.push(kv.string('tokenizer.chat_template', chatTemplate));
  return { kvs };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TokenizerError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** convert_hf_to_gguf.py's does_token_look_special. */
function looksSpecial(t: string): boolean {
  return ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t)
    || (t.startsWith('<|') && t.endsWith('|>'))
    || (t.startsWith('<｜') && t.endsWith('｜>'))
    || (t.startsWith('<unused') && t.endsWith('>'));
}

function splitRegexes(p: PreTok | null | undefined, out: string[] = []): string[] {
  if (!p) return out;
  if (p.type === 'Sequence') for (const q of p.pretokenizers ?? []) splitRegexes(q, out);
  else if (p.type === 'Split' && p.pattern?.Regex !== undefined) out.push(p.pattern.Regex);
  else if (p.type === 'ByteLevel' && p.use_regex) out.push('<gpt-2 byte-level regex>');
  return out;
}

function recognisePre(p: PreTok | null | undefined, where: string): string {
  const regexes = splitRegexes(p);
  if (regexes.length === 1 && regexes[0] === '<gpt-2 byte-level regex>') return 'gpt-2';
  if (regexes.length === 1) {
    const known = KNOWN_SPLIT_REGEXES.find(([re]) => re === regexes[0]);
    if (known) return known[1];
  }
  const names = [...KNOWN_SPLIT_REGEXES.map(([, n]) => n), 'gpt-2'].join(', ');
  throw new TokenizerError(`${where}: unrecognised pre-tokenizer ${JSON.stringify(regexes)}; recognised: ${names} (pass --pre NAME to choose one)`);
}

/** First and last special token of a TemplateProcessing "single" template (looked for inside Sequence too). */
function templateSpecials(p: PostProc | null | undefined): { first?: string; last?: string } | null {
  if (!p) return null;
  if (p.type === 'Sequence') {
    for (const q of p.processors ?? []) {
      const r = templateSpecials(q);
      if (r) return r;
    }
    return null;
  }
  if (p.type !== 'TemplateProcessing' || !p.single) return null;
  const ids = p.single.map((x) => ('SpecialToken' in x && x.SpecialToken ? x.SpecialToken.id : null));
  return { first: ids[0] ?? undefined, last: ids[ids.length - 1] ?? undefined };
}

function pickChatTemplate(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const named = v as { name?: string; template?: string }[];
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}
