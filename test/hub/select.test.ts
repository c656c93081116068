import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLabels, selectFile, type RepoFile } from '../../src/hub/select.js';
import { editDistance, nearMatches } from '../../src/hub/suggest.js';
import { HubError } from '../../src/hub/errors.js';

const files = (...paths: string[]): RepoFile[] => paths.map((path) => ({ path, size: 1 }));
const repo = files(
  'README.md',
  'SmolLM2-135M-Instruct-Q4_0.gguf',
  'SmolLM2-135M-Instruct-Q4_0_4_4.gguf',
  'SmolLM2-135M-Instruct-Q4_K_M.gguf',
  'SmolLM2-135M-Instruct-Q4_K_S.gguf',
  'SmolLM2-135M-Instruct-Q8_0.gguf',
  'SmolLM2-135M-Instruct-f16.gguf',
);
const pick = (list: RepoFile[], tag?: string) => selectFile(list, 'u/r', tag).file.path;
const fails = (kind: string, pattern: RegExp) => (e: unknown) => e instanceof HubError && e.kind === kind && pattern.test(e.message);

test('an exact tag matches case-insensitively as a whole name token', () => {
  assert.equal(pick(repo, 'Q8_0'), 'SmolLM2-135M-Instruct-Q8_0.gguf');
  assert.equal(pick(repo, 'q4_k_m'), 'SmolLM2-135M-Instruct-Q4_K_M.gguf');
  assert.equal(pick(repo, 'F16'), 'SmolLM2-135M-Instruct-f16.gguf');
  // Q4_0 is a whole token of one file and only a prefix of Q4_0_4_4: the exact match wins.
  assert.equal(pick(repo, 'Q4_0'), 'SmolLM2-135M-Instruct-Q4_0.gguf');
});

test('a shorter tag that is a prefix of exactly one tag picks it', () => {
  assert.equal(pick(repo, 'Q8'), 'SmolLM2-135M-Instruct-Q8_0.gguf');
});

test('an ambiguous tag lists the candidates', () => {
  assert.throws(() => pick(repo, 'Q4_K'), fails('ambiguous', /Q4_K_M, Q4_K_S/));
  assert.throws(() => pick(repo, 'Q4'), fails('ambiguous', /matches 4 files.*Q4_0, Q4_0_4_4, Q4_K_M, Q4_K_S/));
});

test('a missing tag lists what is there', () => {
  assert.throws(() => pick(repo, 'Q5_K_M'), fails('not-found', /no GGUF file matching "Q5_K_M" in u\/r \(available: Q4_0, Q4_0_4_4, Q4_K_M, Q4_K_S, Q8_0, f16\)/));
  assert.throws(() => pick(repo, 'README'), fails('not-found', /available/));
});

test('no tag: Q8_0, else Q4_K_M, else the single GGUF, else ask', () => {
  assert.equal(selectFile(repo, 'u/r', undefined).reason, 'default Q8_0');
  assert.equal(pick(repo.filter((f) => !f.path.includes('Q8_0'))), 'SmolLM2-135M-Instruct-Q4_K_M.gguf');
  assert.equal(pick(files('a.md', 'model.gguf')), 'model.gguf');
  assert.throws(() => pick(files('m-Q5_K_M.gguf', 'm-Q6_K.gguf')), fails('ambiguous', /none is Q8_0 or Q4_K_M: Q5_K_M, Q6_K/));
  assert.throws(() => pick(files('README.md')), fails('not-found', /no \.gguf files/));
});

test('projector files and split shards are not picked by default', () => {
  assert.equal(pick(files('mmproj-model-f16.gguf', 'model-Q8_0.gguf')), 'model-Q8_0.gguf');
  assert.equal(pick(files('mmproj-model-f16.gguf', 'model-Q4_0.gguf')), 'model-Q4_0.gguf');
  assert.throws(() => pick(files('big-Q8_0-00001-of-00002.gguf', 'big-Q8_0-00002-of-00002.gguf'), 'Q8_0'), fails('not-found', /split into 2 files/));
});

test('files in folders match on their base name', () => {
  assert.equal(pick(files('Q8_0/m-Q8_0.gguf', 'Q4_K_M/m-Q4_K_M.gguf'), 'Q4_K_M'), 'Q4_K_M/m-Q4_K_M.gguf');
});

test('fileLabels keeps the distinguishing part of the names', () => {
  assert.deepEqual(fileLabels(files('m-Q4_0.gguf', 'm-Q4_K_M.gguf')), ['Q4_0', 'Q4_K_M']);
  assert.deepEqual(fileLabels(files('only.gguf')), ['only.gguf']);
});

test('near matches: containment first, then small edit distance', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.deepEqual(nearMatches('smollm2-q8_0.gguf', ['SmolLM2-Q8_0.gguf', 'SmolLM2-Q4_0.gguf', 'other.bin']), ['SmolLM2-Q8_0.gguf', 'SmolLM2-Q4_0.gguf']);
  assert.deepEqual(nearMatches('stories', ['test-org/stories260K-GGUF', 'x/y']), ['test-org/stories260K-GGUF']);
  assert.deepEqual(nearMatches('zzz', ['abcdefgh']), []);
});
