// `tsllama convert-tokenizer <tokenizer.json> -o vocab.gguf`: a vocab-only GGUF (tokenizer metadata,
// no tensors) from a Hugging Face tokenizer.json, as llama.cpp's converter would write it.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { writeGGUF } from '../gguf/writer.js';
import { convertTokenizer } from '../tokenizer/convert.js';

const OPTIONS = {
  output: { type: 'string', short: 'o', help: 'the GGUF file to write (required)' },
  config: { type: 'string', help: 'tokenizer_config.json (default: the one next to tokenizer.json, if any)' },
  pre: { type: 'string', help: 'tokenizer.ggml.pre to write instead of recognising it from the pre-tokenizer' },
  name: { type: 'string', help: 'general.name to write' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama convert-tokenizer <tokenizer.json> -o <vocab.gguf> [options]

Writes a vocab-only GGUF from a byte-level BPE tokenizer.json: tokens, token types, merges, special
token ids, add_bos/add_eos, the pre-tokenizer name (recognised: llama-bpe, qwen2, gpt-2) and the chat
template from tokenizer_config.json.

options:
${optionsHelp(OPTIONS)}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  if (positionals.length !== 1) throw new UsageError('convert-tokenizer needs one tokenizer.json: tsllama convert-tokenizer <tokenizer.json> -o <vocab.gguf>');
  if (!options.output) throw new UsageError('convert-tokenizer needs an output file: -o <vocab.gguf>');
  const { kvs } = convertTokenizer(positionals[0], options.config, { pre: options.pre, name: options.name });
  writeGGUF(options.output, kvs, []);
  const count = (key: string): number => {
    const v = kvs.find((k) => k.key === key)?.value;
    return Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<unknown>).length : 0;
  };
  const pre = kvs.find((k) => k.key === 'tokenizer.ggml.pre')?.value;
  console.log(`wrote ${options.output}: ${count('tokenizer.ggml.tokens')} tokens, ${count('tokenizer.ggml.merges')} merges, pre "${String(pre)}"`);
  return 0;
}
