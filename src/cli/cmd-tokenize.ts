// `tsllama tokenize <model.gguf> <text>`: the token ids llama.cpp would give for a text.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { loadTokenizerFromPath } from '../tokenizer/index.js';

const OPTIONS = {
  bos: { type: 'boolean', default: true, help: 'add BOS/EOS as the model asks; --no-bos adds none' },
  'parse-special': { type: 'boolean', help: 'turn special-token text such as <|im_start|> into its id' },
  json: { type: 'boolean', help: 'print {"ids":[...],"pieces":[...]}' },
  ids: { type: 'boolean', help: 'print only the ids, space-separated, on one line' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama tokenize <model.gguf> <text> [options]

Prints the tokens of <text> under the model's tokenizer (exactly as llama.cpp tokenizes).
Default output: one line per token, "<id> '<piece>'", the piece being the token's text as it decodes
(special tokens shown; \\n, \\t, \\r, \\\\ and \\' escaped).

options:
${optionsHelp(OPTIONS)}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  if (positionals.length !== 2) {
    throw new UsageError(positionals.length < 2
      ? 'tokenize needs a model and a text: tsllama tokenize <model.gguf> <text>'
      : `tokenize takes one text argument (quote it), got ${positionals.length - 1}`);
  }
  const [modelPath, text] = positionals;
  const tok = loadTokenizerFromPath(modelPath);
  const ids = tok.encode(text, { addSpecial: options.bos, parseSpecial: options['parse-special'] });
  if (options.json) {
    console.log(JSON.stringify({ ids, pieces: ids.map((id) => tok.piece(id)) }));
  } else if (options.ids) {
    console.log(ids.join(' '));
  } else {
    for (const id of ids) console.log(`${id} '${escapePiece(tok.piece(id))}'`);
  }
  return 0;
}

function escapePiece(s: string): string {
  return s.replace(/[\\'\n\r\t]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c);
}
