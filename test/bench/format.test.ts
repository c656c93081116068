// bench tables: the batched-generation column (ours / llama.cpp's best over 1..threads) and the
// scaling table (each engine's N-stream over 1-stream generation), in Markdown and JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatJson, formatMarkdown } from '../../src/bench/format.js';
import type { BenchReport, BenchRow, SideResult } from '../../src/bench/types.js';

const side = (o: Partial<SideResult>): SideResult => ({ rss_mb: 100, load_s: 1, pp: { 128: 400 }, tg: 100, ttft_ms: 300, ...o });

function report(rows: BenchRow[], streams: number): BenchReport {
  return { model: 'm', backend: 'wasm', prompts: [128], gen: 64, seed: 1, rounds: 1, streams, cpu: 'cpu', cores: 2, node: 'v20', rows };
}

const rows: BenchRow[] = [
  { mode: 'q8', threads: 1, files: { ours: 'f', llamacpp: 'f' }, ours: side({ tg: 100, tg_batch: 180 }), llamacpp: side({ tg: 90, tg_batch: 99 }),
    llamacppTgBest: { tg: 90, threads: 1 }, llamacppBatchBest: { tg: 99, threads: 1 } },
  // 2 threads: llama.cpp's 1-thread figures are its best (its 2-thread run was slower)
  { mode: 'q8', threads: 2, files: { ours: 'f', llamacpp: 'f' }, ours: side({ tg: 140, tg_batch: 280 }), llamacpp: side({ tg: 60, tg_batch: 90 }),
    llamacppTgBest: { tg: 90, threads: 1 }, llamacppBatchBest: { tg: 99, threads: 1 } },
];

test('Markdown: a ×N streams column beside tg, and each engine\'s N-stream / 1-stream scaling', () => {
  const md = formatMarkdown(report(rows, 4));
  assert.match(md, /\| mode \| threads \| resident MB \| pp128 t\/s \| tg64 t\/s \| tg64 ×4 streams t\/s \| ttft ms \|/);
  assert.match(md, /\| q8 \| 1 \| .* \| 100\.0 \/ 90\.0 \(1\.11×\) \| 180\.0 \/ 99\.0 \(1\.82×\) \|/);
  assert.match(md, /\| q8 \| 2 \| .* \| 280\.0 \/ 99\.0 \(best t=1\) \(2\.83×\) \|/);
  // scaling: ours 180/100 and 280/140; llama.cpp 99/90 (its best batched over its best single)
  assert.match(md, /\| mode \| threads \| tsllama ×4 \/ ×1 \| llama\.cpp ×4 \/ ×1 \|/);
  assert.match(md, /\| q8 \| 1 \| 1\.80× \| 1\.10× \|/);
  assert.match(md, /\| q8 \| 2 \| 2\.00× \| 1\.10× \|/);
});

test('Markdown without the batched figure (--streams 1) has neither the column nor the table', () => {
  const plain = rows.map((r) => ({ ...r, ours: side({ tg: 100 }), llamacpp: side({ tg: 90 }), llamacppBatchBest: undefined }));
  const md = formatMarkdown(report(plain, 1));
  assert.doesNotMatch(md, /streams/);
  assert.match(md, /\| mode \| threads \| resident MB \| pp128 t\/s \| tg64 t\/s \| ttft ms \|/);
});

test('JSON: the batched ratio against llama.cpp\'s best and both scalings', () => {
  const j = JSON.parse(formatJson(report(rows, 4))) as { rows: { ratios: { tg_batch: number }; batch_scaling: { ours: number; llamacpp: number } }[] };
  assert.ok(Math.abs(j.rows[1]!.ratios.tg_batch - 280 / 99) < 1e-9);
  assert.ok(Math.abs(j.rows[1]!.batch_scaling.ours - 2) < 1e-9);
  assert.ok(Math.abs(j.rows[1]!.batch_scaling.llamacpp - 1.1) < 1e-9);
});
