// `tsllama chat` driven as a person would: through a pseudo-terminal (python3's pty module runs
// bin/tsllama.js on the slave side and plays a script of "wait for this output, then type that"),
// and through a pipe (one user turn per line) compared with the library's Chat.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createChat, loadModel } from '../../src/index.js';
import { REPO_ROOT } from '../helpers/data.js';
import { writeTinyChatModel } from '../api/tiny-model.js';

const BIN = join(REPO_ROOT, 'bin/tsllama.js');
let modelPath = '';
let cleanup = (): void => {};
before(() => {
  const tiny = writeTinyChatModel();
  modelPath = tiny.path;
  cleanup = tiny.cleanup;
});
after(() => cleanup());

// Steps: {expect: regex, timeout?} waits for the regex in the output since the last match;
// {send: text} types it. Prints {ok, failed, exit, transcript} as JSON.
const PTY_DRIVER = String.raw`
import json, os, pty, re, select, signal, struct, sys, time, fcntl, termios
steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 200, 0, 0))
    os.execvp(sys.argv[2], sys.argv[2:])
buf = b''
mark = 0
def pump(timeout):
    global buf
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    buf += data
    return True
def text():
    return buf.decode('utf-8', 'replace')
result = {'ok': True, 'failed': None, 'exit': None}
for i, step in enumerate(steps):
    if 'send' in step:
        os.write(fd, step['send'].encode())
        continue
    deadline = time.time() + step.get('timeout', 20)
    pattern = re.compile(step['expect'])
    while True:
        m = pattern.search(text(), mark)
        if m:
            mark = m.end()
            break
        if time.time() > deadline or not pump(0.05):
            if pattern.search(text(), mark):
                continue
            result.update(ok=False, failed=i)
            break
    if not result['ok']:
        os.kill(pid, signal.SIGKILL)
        deadline = 0
        break
# Read until the child closes the terminal, then reap it (killing it if it hangs).
deadline = time.time() + 20
while time.time() < deadline and pump(0.05):
    pass
while result['exit'] is None and time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        result['exit'] = os.waitstatus_to_exitcode(status)
    else:
        time.sleep(0.02)
if result['exit'] is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
result['transcript'] = text()
print(json.dumps(result))
`;

type Step = { expect: string; timeout?: number } | { send: string };

function drive(args: string[], steps: Step[]): { ok: boolean; failed: number | null; exit: number | null; transcript: string } {
  const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify(steps), process.execPath, BIN, 'chat', modelPath, ...args], {
    encoding: 'utf8', timeout: 90_000,
  });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `pty driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const COMMON = ['-q', 'fp32', '-t', '1', '--quiet', '--seed', '3'];
// readline draws the prompt with cursor codes: ESC[1G ESC[0J "> " ESC[3G.
const PROMPT = '> (?:\\x1b\\[\\d+G)?$';

test('terminal: /help, a reply that stops at Ctrl-C, /stats, /system, Ctrl-D exits 0', (t) => {
  // Replies never end on their own (--ignore-eos) and may run to 3000 tokens: long enough to interrupt.
  const run = drive([...COMMON, '-n', '3000', '--ctx', '4096', '--ignore-eos'], [
    { expect: 'type a message, /help for commands' },
    { expect: PROMPT },
    { send: '/help\r' },
    { expect: '/reset .*\\n.*/system <text>[\\s\\S]*Ctrl-C during a reply stops the reply\\.' },
    { expect: PROMPT },
    { send: 'Tell me a very long story\r' },
    { expect: 'Tell me a very long story\\r*\\n[^\\n]{40}' }, // the reply is streaming
    { send: '\x03' },
    { expect: '\\(reply stopped\\)' },
    { expect: PROMPT },
    { send: '/stats\r' },
    { expect: 'n_prompt=\\d+ n_gen=(\\d+) .*context=\\d+/4096 turns=1[^\\n]*\\n' },
    { expect: PROMPT },
    { send: '/system You answer in one word.\r' },
    { expect: '\\(system prompt set\\)' },
    { send: '/system\r' },
    { expect: 'system: You answer in one word\\.' },
    { expect: PROMPT },
    { send: '\x04' },
  ]);
  t.diagnostic(`transcript tail: ${JSON.stringify(run.transcript.slice(-300))}`);
  assert.ok(run.ok, `step ${run.failed} not reached; transcript:\n${run.transcript.slice(-2000)}`);
  assert.equal(run.exit, 0);
  const nGen = Number(/n_gen=(\d+)/.exec(run.transcript)![1]);
  assert.ok(nGen > 0 && nGen < 3000, `Ctrl-C stopped the reply early (n_gen=${nGen})`);
});

test('terminal: a complete reply streams and the prompt returns; Ctrl-C twice at an empty prompt quits', (t) => {
  const run = drive([...COMMON, '-n', '8', '--stats'], [
    { expect: PROMPT },
    { send: 'Hello\r' },
    { expect: 'n_prompt=\\d+ n_gen=\\d+ ' }, // --stats after the reply
    { expect: PROMPT },
    { send: 'half a line' },
    { send: '\x03' }, // drops the half-typed line, does not arm quitting
    { expect: '\\^C\\r?\\n(?:\\x1b\\[\\d*[GJ])*' + PROMPT },
    { send: '\x03' },
    { expect: 'Ctrl-C again or Ctrl-D to quit' },
    { send: '\x03' },
  ]);
  assert.ok(run.ok, `step ${run.failed} not reached; transcript:\n${run.transcript.slice(-2000)}`);
  assert.equal(run.exit, 0);
  t.diagnostic(`transcript: ${JSON.stringify(run.transcript)}`);
  // The reply line sits between the echoed input and the stats line.
  const reply = /Hello\r*\n([\s\S]*?)\r?\nn_prompt=/.exec(run.transcript);
  assert.ok(reply && reply[1].length > 0, 'a reply was printed');
});

test('pipe: each line is a user turn; replies on stdout equal the library Chat; notes on stderr', async () => {
  const lines = ['Hello there', '/stats', 'And another question', '/bogus', '/reset', 'Fresh start'];
  const r = spawnSync(process.execPath, [BIN, 'chat', modelPath, ...COMMON, '--temp', '0', '-n', '6', '--system', 'Be brief.'], {
    input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /n_prompt=\d+ n_gen=6 .*turns=1/);
  assert.match(r.stderr, /unknown command \/bogus \(try \/help\)/);
  assert.match(r.stderr, /\(conversation cleared\)/);

  const model = await loadModel(modelPath, { backend: 'wasm', quant: 'fp32', threads: 1 });
  try {
    const chat = createChat(model, { system: 'Be brief.' });
    const expected: string[] = [];
    for (const [i, user] of ['Hello there', 'And another question', 'Fresh start'].entries()) {
      if (i === 2) chat.reset();
      chat.addUser(user);
      expected.push(await chat.respondText({ temp: 0, maxTokens: 6 }));
    }
    assert.equal(r.stdout, expected.map((e) => e + '\n').join(''));
    chat.dispose();
  } finally {
    await model.dispose();
  }
});

test('usage errors', () => {
  const r = spawnSync(process.execPath, [BIN, 'chat', modelPath, 'extra', 'words'], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /chat takes one model, got 3 arguments/);
  const bad = spawnSync(process.execPath, [BIN, 'chat', modelPath, '--template', 'nope'], { encoding: 'utf8' });
  assert.match(bad.stderr, /--template must be one of chatml, llama2, llama3, phi3, gemma or a template file/);
});
