// `tsllama run hf:…` end to end against a fake hub on loopback: the first run downloads the
// model and generates llama.cpp's greedy text; the second runs from the cache with no download.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { needData, REPO_ROOT, sharedPath } from '../helpers/data.js';
import { startTestHub, TEST_HUB_DATA, TEST_REPOS, type FakeHub } from '../helpers/fake-hub.js';
import { readGolden } from '../helpers/golden.js';

let hub: FakeHub | undefined;
const dirs: string[] = [];
after(async () => {
  await hub?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'tsllama.js'), ...args], {
    env: { ...process.env, HF_TOKEN: '', TSLLAMA_OFFLINE: '', TSLLAMA_THREADS: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('run hf:user/repo:Q8_0 downloads once, then runs from the cache', async (t) => {
  const data = needData(t, ...TEST_HUB_DATA, 'golden/stories260K-q8_0.json');
  if (!data) return;
  hub ??= await startTestHub(sharedPath);
  const cache = mkdtempSync(join(tmpdir(), 'tsllama-e2e-'));
  dirs.push(cache);
  const env = { TSLLAMA_HF_ENDPOINT: hub.endpoint, TSLLAMA_CACHE: cache };
  const golden = readGolden(sharedPath('golden/stories260K-q8_0.json')).cases[0];
  const n = 16;

  hub.reset();
  const first = await runCli(['run', `hf:${TEST_REPOS.stories}:Q8_0`, golden.prompt, '-n', String(n), '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  const out = JSON.parse(first.stdout) as { prompt_ids: number[]; ids: number[] };
  assert.deepEqual(out.prompt_ids, golden.prompt_ids);
  assert.deepEqual(out.ids, golden.greedy_ids.slice(0, n));
  assert.ok(hub.downloadedBytes() > 300_000, `model downloaded (${hub.downloadedBytes()} bytes)`);

  hub.reset();
  const second = await runCli(['run', `hf:${TEST_REPOS.stories}:Q8_0`, golden.prompt, '-n', String(n), '--json'], env);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual((JSON.parse(second.stdout) as { ids: number[] }).ids, out.ids);
  assert.equal(hub.downloadedBytes(), 0, 'second run reads the cache');

  // Offline, from the cache: still works.
  const offline = await runCli(['run', `hf:${TEST_REPOS.stories}:Q8_0`, golden.prompt, '-n', '4', '--json'], { ...env, TSLLAMA_OFFLINE: '1' });
  assert.equal(offline.code, 0, offline.stderr);
});
