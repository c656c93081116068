// tsllama command-line entry: dispatches `tsllama <command> ...` to src/cli/cmd-<command>.ts.
// Each command module exports `run(argv: string[]): Promise<number>` (the exit code) and `usage`.
import { formatError } from './errors.js';

const COMMANDS: Record<string, string> = {
  run: 'generate text from a prompt',
  chat: 'interactive chat with a model',
  info: 'print a GGUF file\'s metadata and tensor table',
  tokenize: 'print the token ids of a text',
  synth: 'write a seeded random-weight model of a named shape',
  bench: 'measure prefill and generation speed (beside llama.cpp when available)',
  tune: 'time kernel variants on this machine and cache the winners',
  embed: 'print embeddings of texts',
  serve: 'OpenAI-compatible HTTP server',
  pull: 'download a model into the local cache',
  list: 'list cached models',
  rm: 'remove a cached model',
  'convert-tokenizer': 'write a vocab-only GGUF from a Hugging Face tokenizer.json',
};

function help(): string {
  const lines = ['usage: tsllama <command> [options]', '', 'commands:'];
  for (const [name, what] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(18)} ${what}`);
  lines.push('', 'Run `tsllama <command> --help` for a command\'s options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(help());
    return command ? 0 : 1;
  }
  if (command === '--version' || command === '-v') {
    const { VERSION } = await import('../version.js');
    console.log(VERSION);
    return 0;
  }
  if (!(command in COMMANDS)) {
    console.error(`tsllama: error: unknown command "${command}" (see the list below)\n\n${help()}`);
    return 2;
  }
  let mod: { run: (args: string[]) => Promise<number> };
  try {
    mod = await import(`./cmd-${command}.js`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`cmd-${command}`)) {
      console.error(`tsllama: the "${command}" command is not available in this build`);
      return 2;
    }
    throw e;
  }
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    console.error(formatError(e));
    if (process.env.TSLLAMA_DEBUG) console.error(e);
    process.exitCode = 1;
  },
);
