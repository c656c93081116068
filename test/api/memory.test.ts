// Loading and disposing a model 20 times in one process must not leak: the resident set at the end
// stays within 10% of the one measured after the first load. Runs in a child process that exposes gc
// so collection can be forced before each measurement. (Not with the --expose-gc flag: worker
// threads inherit the parent's execArgv and reject it.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { needData, REPO_ROOT } from '../helpers/data.js';

const CHILD = `
const v8 = await import('node:v8');
const vm = await import('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const { loadModel } = await import(process.env.TSLLAMA_INDEX);
const path = process.env.TSLLAMA_MODEL;
const settle = async () => {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
  return process.memoryUsage().rss;
};
// Each cycle loads with worker threads, generates a few tokens and embeds a text.
async function cycle() {
  const model = await loadModel(path, { threads: 2 });
  const session = model.createSession();
  for await (const _ of session.generate('Once upon a time', { maxTokens: 8 })) { /* run */ }
  session.dispose();
  await model.embed('a short text');
  return model;
}
const beforeLoad = await settle();
let model = await cycle();
const afterFirstLoad = await settle();
const wasmBytes = model.memory.buffer.byteLength;
await model.dispose();
for (let i = 1; i < 20; i++) await (await cycle()).dispose();
model = null;
const afterTwenty = await settle();
console.log(JSON.stringify({ beforeLoad, afterFirstLoad, afterTwenty, wasmBytes }));
`;

test('20 load/dispose cycles keep RSS within 10% of the first load', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TSLLAMA_MODEL: paths[0], TSLLAMA_INDEX: pathToFileURL(join(REPO_ROOT, 'dist/src/index.js')).href },
  });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { beforeLoad: number; afterFirstLoad: number; afterTwenty: number; wasmBytes: number };
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const perModel = m.afterFirstLoad - m.beforeLoad;
  t.diagnostic(`rss before ${mib(m.beforeLoad)}, after the first load ${mib(m.afterFirstLoad)} (+${mib(perModel)}), ` +
    `after 20 cycles ${mib(m.afterTwenty)}; one model's wasm memory ${mib(m.wasmBytes)}`);
  // Leaking what one loaded model adds to the resident set 19 times would exceed the 10% allowed.
  assert.ok(19 * perModel > 0.1 * m.afterFirstLoad, `a loaded model adds only ${mib(perModel)}: the test could not see a leak`);
  assert.ok(m.afterTwenty <= 1.1 * m.afterFirstLoad, `rss grew from ${mib(m.afterFirstLoad)} to ${mib(m.afterTwenty)}`);
});
