// list and rm over a cache filled from the fake hub; name lookups in resolveModel.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needData, sharedPath } from '../helpers/data.js';
import { startTestHub, TEST_HUB_DATA, TEST_REPOS, type FakeHub } from '../helpers/fake-hub.js';
import { HubError, listCached, pullModel, removeCached, resolveModel, type HubConfig } from '../../src/hub/index.js';

let hub: FakeHub | undefined;
const tempDirs: string[] = [];
after(async () => {
  await hub?.close();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A cache holding stories Q8_0 and Q4_0, the tiny-random model and a URL download. */
async function filledCache(t: TestContext): Promise<Partial<HubConfig> | null> {
  if (!needData(t, ...TEST_HUB_DATA)) return null;
  hub ??= await startTestHub(sharedPath);
  const cacheDir = mkdtempSync(join(tmpdir(), 'tsllama-cache-'));
  tempDirs.push(cacheDir);
  const config = { endpoint: hub.endpoint, cacheDir, token: undefined, offline: false };
  for (const ref of [`hf:${TEST_REPOS.stories}:Q8_0`, `hf:${TEST_REPOS.stories}:Q4_0`, `hf:${TEST_REPOS.tiny}`, `${hub.endpoint}/files/stories260K-q8_0.gguf`]) {
    await pullModel(ref, { config });
  }
  return config;
}

test('list shows every cached model with size, architecture and reference', async (t) => {
  const config = await filledCache(t);
  if (!config) return;
  const models = listCached({ config });
  assert.deepEqual(models.map((m) => [m.name, m.arch, m.partial]), [
    ['stories260K-Q4_0.gguf', 'llama', false],
    ['stories260K-Q8_0.gguf', 'llama', false],
    ['llama-2-tiny-random.gguf', 'llama', false],
    ['stories260K-q8_0.gguf', 'llama', false],
  ]);
  assert.equal(models[0].ref, `hf:${TEST_REPOS.stories}/stories260K-Q4_0.gguf`);
  assert.equal(models[3].ref, `${hub!.endpoint}/files/stories260K-q8_0.gguf`);
  assert.equal(models[2].bytes, 1_750_560);
});

test('list flags an unfinished download with its progress', async (t) => {
  const config = await filledCache(t);
  if (!config) return;
  hub!.fault({ cutAfter: 40_000 });
  await assert.rejects(pullModel(`hf:${TEST_REPOS.stories}:F32`, { config, retries: 0 }));
  const partial = listCached({ config }).find((m) => m.partial);
  assert.ok(partial);
  assert.equal(partial.name, 'stories260K-F32.gguf');
  assert.equal(partial.bytes, 40_000);
  assert.equal(partial.total, 1_185_376);
  assert.equal(partial.arch, undefined);
  // a resolve of the same reference finishes it
  const path = await resolveModel(`hf:${TEST_REPOS.stories}:F32`, { config });
  assert.ok(path.endsWith('stories260K-F32.gguf'));
  assert.ok(!listCached({ config }).some((m) => m.partial));
});

test('rm removes by file name, by reference, or by repository when it holds one file', async (t) => {
  const config = await filledCache(t);
  if (!config) return;
  const root = join(config.cacheDir!, 'models');
  assert.equal(removeCached('stories260K-Q4_0', { config }), true); // name without .gguf
  assert.equal(removeCached(`hf:${TEST_REPOS.stories}:Q8_0`, { config }), true); // tag reference
  assert.equal(existsSync(join(root, 'test-org', 'stories260K-GGUF')), false, 'empty repository folder removed');
  assert.equal(removeCached(TEST_REPOS.tiny, { config }), true); // user/repo
  assert.equal(removeCached(`${hub!.endpoint}/files/stories260K-q8_0.gguf`, { config }), true); // URL
  assert.deepEqual(listCached({ config }), []);
  assert.deepEqual(readdirSync(root), [], 'no sidecars or folders left');
  assert.equal(removeCached('stories260K-Q4_0', { config }), false);
});

test('rm refuses a name that fits several files', async (t) => {
  const config = await filledCache(t);
  if (!config) return;
  assert.throws(() => removeCached('stories260K-q8_0.gguf', { config }),
    (e: unknown) => e instanceof HubError && e.kind === 'ambiguous' && /matches 2 cached files/.test(e.message));
  assert.throws(() => removeCached(`hf:${TEST_REPOS.stories}`, { config }), (e: unknown) => e instanceof HubError && e.kind === 'ambiguous');
  assert.equal(listCached({ config }).length, 4, 'nothing removed');
});

test('resolveModel: local paths unchanged, cached file names found, references resolved', async (t) => {
  const config = await filledCache(t);
  if (!config) return;
  const local = sharedPath('models/stories260K.gguf');
  assert.equal(await resolveModel(local, { config }), local);
  assert.equal(await resolveModel('llama-2-tiny-random', { config }), join(config.cacheDir!, 'models', 'test-org', 'tiny-random-GGUF', 'llama-2-tiny-random.gguf'));
  assert.equal(await resolveModel('no-such-model.gguf', { config }), 'no-such-model.gguf', 'left for the loader to report');
  await assert.rejects(resolveModel('bartowski/SmolLM2-135M-Instruct-GGUF:Q8_0', { config }),
    (e: unknown) => e instanceof HubError && /write hf:bartowski\/SmolLM2-135M-Instruct-GGUF:Q8_0\)$/.test(e.message));
  assert.equal(await resolveModel('models/missing.gguf', { config }), 'models/missing.gguf');
});

test('a cached file the hub has since changed is downloaded again', async (t) => {
  const config = await filledCache(t);
  if (!config) return;
  const dir = join(config.cacheDir!, 'models', 'test-org', 'tiny-random-GGUF');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'llama-2-tiny-random.gguf');
  const meta = JSON.parse((await import('node:fs')).readFileSync(`${path}.meta.json`, 'utf8')) as { sha256: string };
  writeFileSync(`${path}.meta.json`, JSON.stringify({ ...meta, sha256: '0'.repeat(64) }));
  const r = await pullModel(`hf:${TEST_REPOS.tiny}`, { config });
  assert.equal(r.downloaded, r.bytes);
});
