// tsllama chat [model] [--system "..."]: interactive chat using the model's chat template.
import { existsSync, readFileSync } from 'node:fs';
import { createChat, type Chat } from '../chat/chat.js';
import { BUILTIN_TEMPLATES } from '../chat/templates.js';
import { DEFAULT_MODEL } from '../hub/index.js';
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { MODEL_OPTIONS, openModel } from './model-options.js';
import { REPL_HELP, runChatRepl } from './repl.js';
import { LLAMA_CPP_CHAT, samplingOptions, samplingParams } from './sampling-options.js';

const SPEC = {
  ...MODEL_OPTIONS,
  system: { type: 'string', short: 's', help: 'system prompt' },
  template: { type: 'string', help: 'chat template: chatml | llama3 | phi3 | gemma | llama2 | a Jinja file (default: the model\'s own)' },
  'n-predict': { type: 'number', short: 'n', default: -1, help: 'most tokens per reply (-1: until the end of the turn)' },
  ...samplingOptions(LLAMA_CPP_CHAT),
  'ignore-eos': { type: 'boolean', help: 'never end a reply with an end-of-turn token (as llama.cpp\'s --ignore-eos)' },
  stats: { type: 'boolean', help: 'print statistics after every reply' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const usage = `usage: tsllama chat [<model.gguf | hf:user/repo[:quant]>] [options]\n\n${optionsHelp(SPEC)}\n\n${REPL_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options: o } = parseArgs(argv, SPEC);
  if (o.help) { console.log(usage); return 0; }
  if (positionals.length > 1) throw new UsageError(`chat takes one model, got ${positionals.length} arguments (quote the --system text)\n${usage}`);
  let modelRef = positionals[0];
  if (!modelRef) {
    modelRef = DEFAULT_MODEL;
    if (!o.quiet) console.error(`tsllama: no model given, using the default ${DEFAULT_MODEL}`);
  }
  const n = o['n-predict'] ?? -1;
  if (!Number.isInteger(n) || n < -1 || n === 0) throw new UsageError(`--n-predict must be a positive integer or -1, got ${n}`);

  const template = o.template === undefined ? undefined : readTemplateOption(o.template);

  const model = await openModel(modelRef, o);
  try {
    // Long chats drop their oldest turns rather than stop.
    const chat = createChat(model, { system: o.system, template, overflow: 'drop-oldest' });
    try {
      return await runChatRepl(chat, {
        input: process.stdin,
        output: process.stdout,
        errors: process.stderr,
        terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      }, {
        stats: o.stats,
        params: {
          maxTokens: n,
          ...samplingParams(o),
          logitBias: o['ignore-eos'] ? banEndTokens(chat) : undefined,
        },
      });
    } finally {
      chat.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** --template: a built-in family name, or the path of a file holding a Jinja chat template. */
function readTemplateOption(value: string): string {
  if (value in BUILTIN_TEMPLATES) return value;
  if (existsSync(value)) return readFileSync(value, 'utf8');
  throw new UsageError(`--template must be one of ${Object.keys(BUILTIN_TEMPLATES).join(', ')} or a template file; "${value}" is neither`);
}

/** A logit bias that bans every end-of-generation id and the template's end-of-turn ids. */
function banEndTokens(chat: Chat): Record<number, number> {
  const tok = chat.model.tokenizer;
  const bias: Record<number, number> = {};
  for (let id = 0; id < tok.vocabSize; id++) if (tok.isEog(id)) bias[id] = -Infinity;
  for (const id of chat.format.stopTokens) bias[id] = -Infinity;
  return bias;
}
