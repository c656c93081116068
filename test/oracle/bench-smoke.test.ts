// `tsllama bench --quick --json` end to end on the tiny synthetic preset (WASM kernels when they
// load, else the scalar oracle): the JSON has one row per quant mode, with positive figures.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/data.js';
import { llamaCppAvailable } from '../helpers/llamacpp.js';

const run = promisify(execFile);

interface Side { rss_mb: number; pp: Record<string, number>; tg: number; ttft_ms: number; tg_batch?: number }
interface Report {
  backend: string;
  prompts: number[];
  streams: number;
  rows: {
    mode: string; threads: number; ours: Side | { error: string }; llamacpp: Side | { error: string } | null;
    ratios: { tg: number; tg_batch: number } | null; batch_scaling?: { ours: number };
  }[];
}

function assertSide(s: Side | { error: string } | null, what: string): void {
  assert.ok(s && !('error' in s), `${what}: ${s && 'error' in s ? s.error : 'missing'}`);
  assert.ok(s.rss_mb > 0 && s.tg > 0 && s.ttft_ms > 0, `${what}: figures ${JSON.stringify(s)}`);
  assert.ok(s.pp['32'] > 0, `${what}: pp32`);
  assert.ok(s.tg_batch !== undefined && s.tg_batch > 0, `${what}: batched generation (4 streams) ${s.tg_batch}`);
}

test('tsllama bench --quick --json', { timeout: 120_000 }, async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'tsllama-bench-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const withLlama = (await llamaCppAvailable()) === true;
  const args = ['bin/tsllama.js', 'bench', '--quick', '--json', '--backend', 'auto', ...(withLlama ? [] : ['--no-llamacpp'])];
  const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, TSLLAMA_CACHE: cache }, maxBuffer: 1 << 20 });
  const rep = JSON.parse(stdout) as Report;
  assert.ok(rep.backend === 'wasm' || rep.backend === 'scalar');
  assert.deepEqual(rep.prompts, [32]);
  assert.equal(rep.streams, 4, 'batched generation over 4 streams by default');
  assert.deepEqual(rep.rows.map((r) => `${r.mode}/${r.threads}`), ['fp32/1', 'q8/1', 'q4/1']);
  for (const r of rep.rows) {
    assertSide(r.ours, `tsllama ${r.mode}`);
    assert.ok(r.batch_scaling && r.batch_scaling.ours > 0, `${r.mode}: batch scaling`);
    if (withLlama) {
      assertSide(r.llamacpp, `llama.cpp ${r.mode}`);
      assert.ok(r.ratios && r.ratios.tg > 0 && r.ratios.tg_batch > 0);
    } else {
      assert.equal(r.llamacpp, null);
    }
  }
  t.diagnostic(`backend ${rep.backend}${withLlama ? ', with llama.cpp' : ', llama.cpp unavailable'}`);
});

test('tsllama bench rejects bad options with a one-line reason', async () => {
  await assert.rejects(
    run(process.execPath, ['bin/tsllama.js', 'bench', '--quant', 'q5'], { cwd: REPO_ROOT }),
    (e: { stderr: string }) => /unknown quant mode "q5"/.test(e.stderr),
  );
  await assert.rejects(
    run(process.execPath, ['bin/tsllama.js', 'bench', '--threads', '0'], { cwd: REPO_ROOT }),
    (e: { stderr: string }) => /--threads needs positive integers/.test(e.stderr),
  );
  await assert.rejects(
    run(process.execPath, ['bin/tsllama.js', 'bench', '--streams', '0'], { cwd: REPO_ROOT }),
    (e: { stderr: string }) => /--streams needs a positive integer, got 0/.test(e.stderr),
  );
});
