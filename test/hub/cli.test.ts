// `tsllama pull | list | rm` as a user runs them, against the fake hub: plain lines in a pipe,
// a redrawn bar in a pseudo-terminal (util-linux `script`), one-line errors.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needData, REPO_ROOT, sharedPath } from '../helpers/data.js';
import { startTestHub, TEST_HUB_DATA, TEST_REPOS, type FakeHub } from '../helpers/fake-hub.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const HAVE_SCRIPT = spawnSync('script', ['--version']).status === 0;

let hub: FakeHub | undefined;
const tempDirs: string[] = [];
after(async () => {
  await hub?.close();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

interface Run { code: number | null; stdout: string; stderr: string }

/** Run the CLI asynchronously (the fake hub lives in this process, so spawnSync would block it). */
function runCli(args: string[], env: Record<string, string>, viaTerminal = false): Promise<Run> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const [cmd, argv] = viaTerminal
    ? ['script', ['-qfec', [process.execPath, MAIN, ...args].map(quote).join(' '), '/dev/null']]
    : [process.execPath, [MAIN, ...args]];
  const child = spawn(cmd, argv, { env: { ...process.env, TSLLAMA_PROGRESS: '', HF_TOKEN: '', TSLLAMA_OFFLINE: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function setup(t: TestContext): Promise<Record<string, string> | null> {
  if (!needData(t, ...TEST_HUB_DATA)) return null;
  hub ??= await startTestHub(sharedPath);
  const cache = mkdtempSync(join(tmpdir(), 'tsllama-cli-'));
  tempDirs.push(cache);
  return { TSLLAMA_HF_ENDPOINT: hub.endpoint, TSLLAMA_CACHE: cache };
}

test('pull in a pipe: the path on stdout, a few plain progress lines on stderr', async (t) => {
  const env = await setup(t);
  if (!env) return;
  const r = await runCli(['pull', `hf:${TEST_REPOS.stories}:Q8_0`], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${join(env.TSLLAMA_CACHE, 'models', 'test-org', 'stories260K-GGUF', 'stories260K-Q8_0.gguf')}\n`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0], /→ stories260K-Q8_0\.gguf \(379 KB, tag Q8_0\)/);
  assert.equal(lines[1], 'stories260K-Q8_0.gguf: starting (379 KB)');
  assert.match(lines.at(-2)!, /^stories260K-Q8_0\.gguf: done, 379 KB in \d+s/);
  assert.match(lines.at(-1)!, /^pulled hf:test-org\/stories260K-GGUF\/stories260K-Q8_0\.gguf \(379 KB\)/);
  assert.ok(!r.stderr.includes('\r') && !r.stderr.includes('\x1b'), 'no terminal control codes in a pipe');

  const again = await runCli(['pull', '-q', `hf:${TEST_REPOS.stories}:Q8_0`], env);
  assert.equal(again.code, 0);
  assert.equal(again.stderr, '', '--quiet prints only the path');
  assert.equal(again.stdout, r.stdout);
});

test('pull in a terminal draws a bar redrawn in place', async (t) => {
  const env = await setup(t);
  if (!env) return;
  // Without util-linux `script` the TTY path is forced through TSLLAMA_PROGRESS=tty instead of a real pseudo-terminal.
  const r = HAVE_SCRIPT
    ? await runCli(['pull', `hf:${TEST_REPOS.stories}:F32`], env, true)
    : await runCli(['pull', `hf:${TEST_REPOS.stories}:F32`], { ...env, TSLLAMA_PROGRESS: 'tty' });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = r.stdout + r.stderr; // script merges the terminal's output into stdout
  assert.match(out, /\rstories260K-F32\.gguf \[=+\] 100%  1\.19 MB\/1\.19 MB  [\d.]+ [KMG]?B\/s  0s left\x1b\[K/, JSON.stringify(out));
  assert.ok(!/stories260K-F32\.gguf: starting/.test(out), 'no plain lines on a terminal');
});

test('list and rm', async (t) => {
  const env = await setup(t);
  if (!env) return;
  assert.equal((await runCli(['pull', '-q', `hf:${TEST_REPOS.tiny}`], env)).code, 0);
  assert.equal((await runCli(['pull', '-q', `hf:${TEST_REPOS.stories}:Q4_0`], env)).code, 0);
  const list = await runCli(['list'], env);
  assert.equal(list.code, 0);
  assert.deepEqual(list.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)), [
    ['NAME', 'SIZE', 'ARCH', 'REFERENCE'],
    ['stories260K-Q4_0.gguf', '277 KB', 'llama', 'hf:test-org/stories260K-GGUF/stories260K-Q4_0.gguf'],
    ['llama-2-tiny-random.gguf', '1.75 MB', 'llama', 'hf:test-org/tiny-random-GGUF/llama-2-tiny-random.gguf'],
  ]);
  const rm = await runCli(['rm', 'stories260K-Q4_0.gguf'], env);
  assert.equal(rm.code, 0);
  assert.match(rm.stdout, /^removed .*stories260K-Q4_0\.gguf\n$/);
  const missing = await runCli(['rm', 'llama-2-tiny'], env);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'tsllama: error: llama-2-tiny is not in the cache; did you mean llama-2-tiny-random.gguf?\n');
  const rest = await runCli(['list'], env);
  assert.ok(!rest.stdout.includes('Q4_0') && rest.stdout.includes('llama-2-tiny-random.gguf'));
});

test('errors are one line a user can act on, exit code 1', async (t) => {
  const env = await setup(t);
  if (!env) return;
  const gated = await runCli(['pull', `hf:${TEST_REPOS.gated}:Q8_0`], env);
  assert.equal(gated.code, 1);
  assert.match(gated.stderr.trimEnd().split('\n').at(-1)!, /^tsllama: error: .* is gated: accept the terms at .* and set HF_TOKEN to an access token$/);
  const tag = await runCli(['pull', `hf:${TEST_REPOS.stories}:Q5_K_M`], env);
  assert.equal(tag.stderr, 'tsllama: error: no GGUF file matching "Q5_K_M" in test-org/stories260K-GGUF (available: F32, Q4_0, Q8_0)\n');
  const offline = await runCli(['pull', `hf:${TEST_REPOS.tiny}`], { ...env, TSLLAMA_OFFLINE: '1' });
  assert.equal(offline.code, 1);
  assert.match(offline.stderr, /^tsllama: error: hf:test-org\/tiny-random-GGUF is not in the cache .* offline mode is on \(TSLLAMA_OFFLINE=1\)\n$/);
  const bad = await runCli(['pull', 'hf:nope'], env);
  assert.match(bad.stderr, /^tsllama: error: bad model reference "hf:nope": expected hf:<user>\/<repo>/);
});
