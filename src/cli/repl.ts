// The interactive loop of `tsllama chat`: read a line, run a /command or answer it as a user turn,
// streaming the reply. On a terminal: Ctrl-C during a reply stops the reply, Ctrl-C twice at an
// empty prompt or Ctrl-D quits. Without a terminal (a pipe), each input line is one user turn,
// replies go to stdout and notes to stderr, and input ends the session at EOF.
import { createInterface } from 'node:readline';
import { ChatContextError, type Chat, type RespondParams } from '../chat/chat.js';

export interface ReplIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Where notes (command feedback, stats) go when not on a terminal. */
  errors: NodeJS.WritableStream;
  /** Line editing, prompt and Ctrl-C handling (stdin is a TTY). */
  terminal: boolean;
}

export interface ReplOptions {
  params: RespondParams;
  /** Print the statistics line after every reply. */
  stats: boolean;
}

export const REPL_HELP = [
  'commands:',
  '  /help             this list',
  '  /reset            forget the conversation (the system prompt stays)',
  '  /system <text>    set the system prompt (/system alone shows it)',
  '  /stats            statistics of the last reply and the context in use',
  '  /quit             leave (also Ctrl-D, or Ctrl-C twice at an empty prompt)',
  'Ctrl-C during a reply stops the reply.',
].join('\n');

const PROMPT = '> ';

/** Reads lines until the input ends or the user quits; returns the exit code. */
export async function runChatRepl(chat: Chat, io: ReplIO, opts: ReplOptions): Promise<number> {
  const rl = createInterface({ input: io.input, output: io.terminal ? io.output : undefined, terminal: io.terminal, prompt: PROMPT });
  const note = (text: string): void => { (io.terminal ? io.output : io.errors).write(text + '\n'); };

  const pending: string[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  let reply: AbortController | null = null;
  let quitArmed = false; // a first Ctrl-C at an empty prompt
  let quit = false;

  rl.on('line', (line) => { pending.push(line); quitArmed = false; wake?.(); });
  rl.on('close', () => {
    closed = true;
    if (io.terminal) reply?.abort(); // Ctrl-D on a terminal leaves now; a pipe's EOF lets queued lines finish
    wake?.();
  });
  rl.on('SIGINT', () => {
    if (reply) { reply.abort(); return; }
    if (rl.line !== '') {
      // Ctrl-C on a half-typed line drops it, as a shell does.
      rl.write(null, { ctrl: true, name: 'e' }); // to the end of the line,
      rl.write(null, { ctrl: true, name: 'u' }); // then delete back to its start
      io.output.write('^C\n');
      rl.prompt();
      return;
    }
    if (quitArmed) { rl.close(); return; }
    quitArmed = true;
    io.output.write('^C\n(Ctrl-C again or Ctrl-D to quit)\n');
    rl.prompt();
  });

  const nextLine = async (): Promise<string | null> => {
    while (pending.length === 0 && !closed) await new Promise<void>((r) => { wake = r; });
    wake = null;
    return pending.shift() ?? null;
  };

  const commands: Record<string, (arg: string) => void> = {
    help: () => note(REPL_HELP),
    reset: () => { chat.reset(); note('(conversation cleared)'); },
    system: (arg) => {
      if (arg === '') { note(chat.history[0]?.role === 'system' ? `system: ${chat.history[0].content}` : '(no system prompt)'); return; }
      chat.setSystem(arg);
      note('(system prompt set)');
    },
    stats: () => note(statsLine(chat)),
    quit: () => { quit = true; },
    exit: () => { quit = true; },
  };

  const answer = async (text: string): Promise<void> => {
    chat.addUser(text);
    reply = new AbortController();
    try {
      for await (const tok of chat.respond({ ...opts.params, signal: reply.signal })) io.output.write(tok.text);
      io.output.write('\n');
      if (chat.lastStopReason === 'abort') note('(reply stopped)');
      else if (chat.lastStopReason === 'context') note('(the context is full: the oldest turns will be dropped, or /reset)');
      if (opts.stats) note(statsLine(chat));
    } catch (e) {
      if (!(e instanceof ChatContextError)) throw e;
      chat.removeLastMessage(); // the turn that did not fit
      note(`error: ${e.message}`);
    } finally {
      reply = null;
    }
  };

  try {
    if (io.terminal) note('tsllama chat: type a message, /help for commands, Ctrl-D to quit.');
    while (!quit) {
      if (io.terminal) rl.prompt();
      const line = await nextLine();
      if (line === null) break;
      const text = line.trim();
      if (text === '') continue;
      const command = /^\/(\w+)(?:\s+([\s\S]*))?$/.exec(text);
      if (command) {
        const run = commands[command[1].toLowerCase()];
        if (run) run(command[2]?.trim() ?? '');
        else note(`unknown command /${command[1]} (try /help)`);
        continue;
      }
      await answer(text);
    }
  } finally {
    if (io.terminal && closed) io.output.write('\n');
    rl.close();
  }
  return 0;
}

/** The last reply's numbers and the context in use, on one line. */
export function statsLine(chat: Chat): string {
  const s = chat.session.stats();
  return `n_prompt=${s.n_prompt} n_gen=${s.n_gen} ttft=${(s.ttft_s * 1000).toFixed(1)} ms ` +
    `prefill=${s.prefill_tps.toFixed(1)} t/s gen=${s.gen_tps.toFixed(1)} t/s ` +
    `context=${chat.session.nPast}/${chat.session.nCtx} turns=${chat.history.filter((m) => m.role === 'user').length} ` +
    `rss=${s.rss_mb.toFixed(1)} MiB`;
}
