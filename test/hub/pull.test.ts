// pullModel / resolveModel against the fake hub on loopback: full pull, resume, checksum, errors, offline.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { needData, sharedPath } from '../helpers/data.js';
import { GATED_TOKEN, startTestHub, TEST_HUB_DATA, TEST_REPOS, type FakeHub } from '../helpers/fake-hub.js';
import { HubError, pullModel, resolveModel, type DownloadProgress, type HubConfig } from '../../src/hub/index.js';

let shared: FakeHub | undefined;
const tempDirs: string[] = [];
after(async () => {
  await shared?.close();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** The shared fake hub (reset) and a fresh empty cache; null when the model files are missing (test skipped). */
async function setup(t: TestContext): Promise<{ hub: FakeHub; config: Partial<HubConfig> } | null> {
  if (!needData(t, ...TEST_HUB_DATA)) return null;
  shared ??= await startTestHub(sharedPath);
  shared.reset();
  const cacheDir = mkdtempSync(join(tmpdir(), 'tsllama-hub-'));
  tempDirs.push(cacheDir);
  return { hub: shared, config: { endpoint: shared.endpoint, cacheDir, token: undefined, offline: false } };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const Q8 = 'models/stories260K-q8_0.gguf';
const q8Bytes = () => readFileSync(sharedPath(Q8));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const hubError = (kind: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HubError, `expected a HubError, got ${String(e)}`);
  assert.equal(e.kind, kind, e.message);
  assert.match(e.message, pattern);
  assert.ok(!e.message.includes('\n'), 'one line');
  return true;
};

test('a full pull downloads through the redirect, verifies and caches', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const notes: string[] = [];
  const events: DownloadProgress[] = [];
  const r = await pullModel(`hf:${TEST_REPOS.stories}:q8_0`, { config: s.config, onNote: (m) => notes.push(m), onProgress: (p) => events.push(p) });
  const want = q8Bytes();
  assert.equal(r.bytes, want.length);
  assert.equal(r.downloaded, want.length);
  assert.equal(r.ref, `hf:${TEST_REPOS.stories}/stories260K-Q8_0.gguf`);
  assert.equal(r.path, join(s.config.cacheDir!, 'models', 'test-org', 'stories260K-GGUF', 'stories260K-Q8_0.gguf'));
  assert.equal(sha256(readFileSync(r.path)), sha256(want));
  assert.deepEqual(readdirSync(join(s.config.cacheDir!, 'models', 'test-org', 'stories260K-GGUF')).sort(),
    ['stories260K-Q8_0.gguf', 'stories260K-Q8_0.gguf.meta.json'], 'no .part, .lock or .size left behind');
  assert.match(notes.join('\n'), /stories260K-Q8_0\.gguf \(379 KB, tag q8_0\)/);
  assert.equal(events[0].state, 'start');
  assert.equal(events.at(-1)!.state, 'end');
  assert.equal(events.at(-1)!.done, want.length);
  // the hub redirected, the CDN served the bytes
  assert.ok(s.hub.requests.some((q) => q.server === 'hub' && q.status === 302));
  assert.equal(s.hub.downloadedBytes(), want.length);

  // Pulling again only checks the listing.
  s.hub.reset();
  const again = await pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config });
  assert.equal(again.downloaded, 0);
  assert.equal(s.hub.downloadedBytes(), 0);
  // resolveModel finds it in the cache without any request.
  s.hub.reset();
  assert.equal(await resolveModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config }), r.path);
  assert.equal(s.hub.requests.length, 0);
});

test('no tag picks Q8_0 and says so; a single-file repo needs no tag', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const notes: string[] = [];
  const r = await pullModel(`hf:${TEST_REPOS.stories}`, { config: s.config, onNote: (m) => notes.push(m) });
  assert.match(r.path, /stories260K-Q8_0\.gguf$/);
  assert.match(notes[0], /default Q8_0/);
  const tiny = await pullModel(`hf:${TEST_REPOS.tiny}`, { config: s.config, onNote: (m) => notes.push(m) });
  assert.match(tiny.path, /llama-2-tiny-random\.gguf$/);
  assert.match(notes[1], /only GGUF file/);
});

test('an interrupted pull resumes with a Range request and fetches only the rest', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const size = q8Bytes().length;
  const cut = 100_000;
  s.hub.fault({ cutAfter: cut });
  const ref = `hf:${TEST_REPOS.stories}:Q8_0`;
  await assert.rejects(pullModel(ref, { config: s.config, retries: 0 }), hubError('interrupted', /interrupted at 100 KB of 379 KB \(connection closed by the server\); run the same command again to resume/));
  const dest = join(s.config.cacheDir!, 'models', 'test-org', 'stories260K-GGUF', 'stories260K-Q8_0.gguf');
  assert.equal(existsSync(dest), false, 'no complete-looking file after a cut');
  assert.equal(statSync(`${dest}.part`).size, cut);

  s.hub.reset();
  const r = await pullModel(ref, { config: s.config, retries: 0 });
  assert.equal(s.hub.downloadedBytes(), size - cut, 'second attempt served only the remaining bytes');
  assert.equal(r.downloaded, size - cut);
  const cdn = s.hub.requests.filter((q) => q.server === 'cdn');
  assert.equal(cdn.length, 1);
  assert.equal(cdn[0].range, `bytes=${cut}-`);
  assert.equal(cdn[0].status, 206);
  assert.equal(sha256(readFileSync(r.path)), sha256(q8Bytes()));
});

test('a dropped connection is resumed automatically within one pull', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const size = q8Bytes().length;
  s.hub.fault({ cutAfter: 50_000, times: 2 });
  const r = await pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config, retries: 2, retryDelayMs: 1 });
  assert.equal(r.bytes, size);
  assert.equal(s.hub.downloadedBytes(), size, 'every byte sent exactly once across three requests');
  assert.deepEqual(s.hub.requests.filter((q) => q.server === 'cdn').map((q) => q.range), [undefined, 'bytes=50000-', 'bytes=100000-']);
  assert.equal(sha256(readFileSync(r.path)), sha256(q8Bytes()));
});

test('a server that ignores Range gets a clean restart, not a spliced file', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const size = q8Bytes().length;
  s.hub.fault({ cutAfter: 70_000 });
  await assert.rejects(pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config, retries: 0 }), hubError('interrupted', /interrupted/));
  s.hub.reset();
  s.hub.fault({ ignoreRange: true });
  const r = await pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config, retries: 0 });
  assert.equal(s.hub.requests.find((q) => q.server === 'cdn')?.status, 200);
  assert.equal(r.downloaded, size);
  assert.equal(sha256(readFileSync(r.path)), sha256(q8Bytes()));
});

test('corrupted bytes fail the sha256 check and the partial file is deleted', async (t) => {
  const s = await setup(t);
  if (!s) return;
  s.hub.fault({ corrupt: true });
  await assert.rejects(pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config }), hubError('checksum', /stories260K-Q8_0\.gguf: checksum mismatch \(sha256 .*expected [0-9a-f]{12}…\); the download was deleted/));
  const dir = join(s.config.cacheDir!, 'models', 'test-org', 'stories260K-GGUF');
  assert.deepEqual(readdirSync(dir), [], 'neither the file nor its .part remain');
  // and the next pull (no fault) succeeds
  const r = await pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config });
  assert.equal(sha256(readFileSync(r.path)), sha256(q8Bytes()));
});

test('404s name what is missing with near matches', async (t) => {
  const s = await setup(t);
  if (!s) return;
  await assert.rejects(pullModel('hf:test-org/stories260k-gguf-typo', { config: s.config }),
    hubError('not-found', /repository test-org\/stories260k-gguf-typo not found on 127\.0\.0\.1:\d+ \(if it is private, set HF_TOKEN.*\); did you mean test-org\/stories260K-GGUF\?/));
  await assert.rejects(pullModel(`hf:${TEST_REPOS.stories}/stories260K-Q8.gguf`, { config: s.config }),
    hubError('not-found', /file stories260K-Q8\.gguf not found in test-org\/stories260K-GGUF; did you mean stories260K-Q8_0\.gguf/));
  await assert.rejects(pullModel(`hf:${TEST_REPOS.stories}:Q5_K_M`, { config: s.config }),
    hubError('not-found', /no GGUF file matching "Q5_K_M" in test-org\/stories260K-GGUF \(available: F32, Q4_0, Q8_0\)/));
  await assert.rejects(pullModel(`${s.hub.endpoint}/files/missing.gguf`, { config: s.config }), hubError('not-found', /missing\.gguf not found \(404\)/));
});

test('a gated repository without a token says to set HF_TOKEN; with it the token stays on the hub origin', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const ref = `hf:${TEST_REPOS.gated}:Q8_0`;
  await assert.rejects(pullModel(ref, { config: s.config }), hubError('auth', /gated.*set HF_TOKEN/));
  await assert.rejects(pullModel(ref, { config: { ...s.config, token: 'wrong' } }), hubError('auth', /your HF_TOKEN has no access/));
  s.hub.reset();
  const r = await pullModel(ref, { config: { ...s.config, token: GATED_TOKEN } });
  assert.equal(r.bytes, q8Bytes().length);
  const hubAuth = s.hub.requests.filter((q) => q.server === 'hub').map((q) => q.authorization);
  assert.ok(hubAuth.length >= 2 && hubAuth.every((a) => a === `Bearer ${GATED_TOKEN}`), 'token sent to the hub');
  assert.ok(s.hub.requests.filter((q) => q.server === 'cdn').every((q) => q.authorization === undefined), 'token never sent to the CDN origin');
});

test('the tree listing is followed across pages', async (t) => {
  if (!needData(t, ...TEST_HUB_DATA)) return;
  const hub = await startTestHub(sharedPath, { pageSize: 1 });
  t.after(() => hub.close());
  const cacheDir = mkdtempSync(join(tmpdir(), 'tsllama-hub-'));
  tempDirs.push(cacheDir);
  const r = await pullModel(`hf:${TEST_REPOS.stories}:F32`, { config: { endpoint: hub.endpoint, cacheDir, token: undefined } });
  assert.match(r.path, /stories260K-F32\.gguf$/);
  assert.equal(hub.requests.filter((q) => q.path.startsWith('/api/models/')).length, 4, 'four one-entry pages');
});

test('offline: cached models resolve without the network; missing ones give a clear error', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { path } = await pullModel(`hf:${TEST_REPOS.stories}:Q4_0`, { config: s.config });
  s.hub.reset();
  const offline = { ...s.config, offline: true };
  assert.equal(await resolveModel(`hf:${TEST_REPOS.stories}:Q4_0`, { config: offline }), path);
  assert.equal(await resolveModel(`hf:${TEST_REPOS.stories}`, { config: offline }), path, 'the only cached file of the repo');
  assert.equal((await pullModel(`hf:${TEST_REPOS.stories}:q4_0`, { config: offline })).downloaded, 0);
  await assert.rejects(resolveModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: offline }),
    hubError('offline', /hf:test-org\/stories260K-GGUF:Q8_0 is not in the cache .* offline mode is on \(TSLLAMA_OFFLINE=1\); cached from test-org\/stories260K-GGUF: stories260K-Q4_0\.gguf/));
  assert.equal(s.hub.requests.length, 0, 'offline never touches the network');
});

test('an unreachable hub: cached models still work, uncached ones say so', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { path } = await pullModel(`hf:${TEST_REPOS.tiny}`, { config: s.config });
  const port = await closedPort();
  const down = { ...s.config, endpoint: `http://127.0.0.1:${port}` };
  const notes: string[] = [];
  const r = await pullModel(`hf:${TEST_REPOS.tiny}`, { config: down, onNote: (m) => notes.push(m) });
  assert.equal(r.path, path);
  assert.match(notes[0], new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); using the cached llama-2-tiny-random\\.gguf`));
  await assert.rejects(resolveModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: down }),
    hubError('network', /cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\), and hf:test-org\/stories260K-GGUF:Q8_0 is not in the cache/));
});

test('plain URLs download into the cache and are found there again', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const url = `${s.hub.endpoint}/files/stories260K-q8_0.gguf`;
  const r = await pullModel(url, { config: s.config });
  assert.equal(sha256(readFileSync(r.path)), sha256(q8Bytes()));
  assert.ok(r.path.includes(join('models', '_url', '127.0.0.1_')));
  const meta = JSON.parse(readFileSync(`${r.path}.meta.json`, 'utf8')) as { sha256: string; ref: string };
  assert.equal(meta.sha256, sha256(q8Bytes()));
  assert.equal(meta.ref, url);
  s.hub.reset();
  assert.equal(await resolveModel(url, { config: s.config }), r.path);
  assert.equal(s.hub.requests.length, 0);
});

test('a full disk (ENOSPC) gives a one-line error and keeps the cache consistent', async (t) => {
  const s = await setup(t);
  if (!s) return;
  if (!existsSync('/dev/full')) return t.skip('/dev/full is not available');
  const dir = join(s.config.cacheDir!, 'models', 'test-org', 'tiny-random-GGUF');
  await pullModel(`hf:${TEST_REPOS.stories}:Q8_0`, { config: s.config }); // creates the models folder
  rmSync(join(s.config.cacheDir!, 'models', 'test-org', 'stories260K-GGUF'), { recursive: true });
  // Writes to the .part go to /dev/full, which fails every write with ENOSPC.
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  symlinkSync('/dev/full', join(dir, 'llama-2-tiny-random.gguf.part'));
  await assert.rejects(pullModel(`hf:${TEST_REPOS.tiny}`, { config: s.config }), hubError('disk-full', /disk full \(ENOSPC\) writing .*llama-2-tiny-random\.gguf\.part; free some space/));
  assert.equal(existsSync(join(dir, 'llama-2-tiny-random.gguf')), false);
});

test('a download already running in another process is not joined', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const dir = join(s.config.cacheDir!, 'models', 'test-org', 'tiny-random-GGUF');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'llama-2-tiny-random.gguf.lock'), String(process.ppid)); // a live process
  await assert.rejects(pullModel(`hf:${TEST_REPOS.tiny}`, { config: s.config }), hubError('busy', /being downloaded by another tsllama process \(pid \d+\)/));
  writeFileSync(join(dir, 'llama-2-tiny-random.gguf.lock'), '999999999'); // a dead one: taken over
  const r = await pullModel(`hf:${TEST_REPOS.tiny}`, { config: s.config });
  assert.equal(r.bytes, statSync(sharedPath('models/llama-2-tiny-random.gguf')).size);
});
