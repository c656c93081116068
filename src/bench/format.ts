// Renders a BenchReport as a Markdown table (one row per quant mode × thread count; each cell
// "ours / llama.cpp (ratio)") or as JSON with the ratios spelled out.
import { isResult, type BenchReport, type BenchRow, type SideResult } from './types.js';

const fix = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : NaN;
}

function cell(ours: number | undefined, theirs: number | undefined, digits = 1, note = ''): string {
  if (ours === undefined) return '—';
  if (theirs === undefined) return fix(ours, digits);
  return `${fix(ours, digits)} / ${fix(theirs, digits)}${note} (${fix(ratio(ours, theirs), 2)}×)`;
}

function rowCells(r: BenchRow, prompts: number[], streams: number): string[] {
  const o = isResult(r.ours) ? r.ours : undefined;
  const l: SideResult | undefined = isResult(r.llamacpp) ? r.llamacpp : undefined;
  const best = r.llamacppTgBest;
  const tgNote = best && r.threads > 1 ? ` (best t=${best.threads})` : '';
  const batchBest = r.llamacppBatchBest;
  const batchNote = batchBest && r.threads > 1 ? ` (best t=${batchBest.threads})` : '';
  return [
    r.mode,
    String(r.threads),
    cell(o?.rss_mb, l?.rss_mb, 0),
    ...prompts.map((n) => cell(o?.pp[String(n)], l?.pp[String(n)])),
    cell(o?.tg, best?.tg ?? l?.tg, 1, tgNote),
    ...(streams > 1 ? [cell(o?.tg_batch, batchBest?.tg ?? l?.tg_batch, 1, batchNote)] : []),
    // ttft: lower is better, so the ratio shown is llama.cpp's time over ours (> 1 = we are faster).
    o && l ? `${fix(o.ttft_ms)} / ${fix(l.ttft_ms)} (${fix(ratio(l.ttft_ms, o.ttft_ms), 2)}×)` : o ? fix(o.ttft_ms) : '—',
  ];
}

export function formatMarkdown(rep: BenchReport): string {
  const withLlama = rep.rows.some((r) => r.llamacpp !== null);
  const streams = rep.streams ?? 0;
  const heads = ['mode', 'threads', 'resident MB', ...rep.prompts.map((n) => `pp${n} t/s`), `tg${rep.gen} t/s`,
    ...(streams > 1 ? [`tg${rep.gen} ×${streams} streams t/s`] : []), 'ttft ms'];
  const lines = [
    `Model: ${rep.model}; tsllama backend ${rep.backend}; ${rep.cpu}, ${rep.cores} cores; Node ${rep.node}; prompt ids seeded ${rep.seed}; ` +
      (rep.rounds > 1 ? `best of ${rep.rounds} rounds (fresh processes, engines alternating).` : 'one round.'),
    withLlama
      ? 'Cells: tsllama / llama.cpp (node-llama-cpp, same file format, same threads) and the ratio ours/llama.cpp (> 1 = tsllama faster; for ttft llama.cpp/ours; for resident MB ours/llama.cpp, < 1 = tsllama smaller). Generation on more than one thread compares with llama.cpp\'s best over 1..threads.'
      : 'tsllama only (--no-llamacpp).',
    '',
    `| ${heads.join(' | ')} |`,
    `|${heads.map(() => '---').join('|')}|`,
    ...rep.rows.map((r) => `| ${rowCells(r, rep.prompts, streams).join(' | ')} |`),
    ...(streams > 1 ? ['', ...batchScalingTable(rep, streams)] : []),
  ];
  const errors = rep.rows.flatMap((r) => [
    ...(isResult(r.ours) ? [] : [`- tsllama ${r.mode} ${r.threads}t: ${r.ours.error}`]),
    ...(r.llamacpp && !isResult(r.llamacpp) ? [`- llama.cpp ${r.mode} ${r.threads}t: ${r.llamacpp.error}`] : []),
  ]);
  if (errors.length) lines.push('', 'Errors:', ...errors);
  return lines.join('\n');
}

/** Batched over single-stream generation of each engine: what N parallel streams gain per thread count. */
function batchScaling(r: BenchRow): { ours?: number; llamacpp?: number } {
  const o = isResult(r.ours) ? r.ours : undefined;
  const l = isResult(r.llamacpp) ? r.llamacpp : undefined;
  const theirsTg = r.llamacppTgBest?.tg ?? l?.tg;
  const theirsBatch = r.llamacppBatchBest?.tg ?? l?.tg_batch;
  return {
    ours: o?.tg_batch !== undefined ? ratio(o.tg_batch, o.tg) : undefined,
    llamacpp: theirsBatch !== undefined && theirsTg !== undefined ? ratio(theirsBatch, theirsTg) : undefined,
  };
}

function batchScalingTable(rep: BenchReport, streams: number): string[] {
  const withLlama = rep.rows.some((r) => r.llamacpp !== null);
  const heads = ['mode', 'threads', `tsllama ×${streams} / ×1`, ...(withLlama ? [`llama.cpp ×${streams} / ×1`] : [])];
  const f = (x: number | undefined): string => (x === undefined ? '—' : `${fix(x, 2)}×`);
  return [
    `Batched generation: aggregate t/s of ${streams} streams decoding together (one token each per step, one forward pass) over one stream's t/s` +
      (withLlama ? ' (llama.cpp: each figure its best over 1..threads).' : '.'),
    '',
    `| ${heads.join(' | ')} |`,
    `|${heads.map(() => '---').join('|')}|`,
    ...rep.rows.map((r) => {
      const s = batchScaling(r);
      return `| ${[r.mode, String(r.threads), f(s.ours), ...(withLlama ? [f(s.llamacpp)] : [])].join(' | ')} |`;
    }),
  ];
}

/** The report plus per-row ratios (ours/llama.cpp; ttft as llama.cpp/ours), for machines to read. */
export function formatJson(rep: BenchReport): string {
  const rows = rep.rows.map((r) => {
    const o = isResult(r.ours) ? r.ours : undefined;
    const l = isResult(r.llamacpp) ? r.llamacpp : undefined;
    const ratios = o && l ? {
      pp: Object.fromEntries(rep.prompts.map((n) => [String(n), ratio(o.pp[String(n)], l.pp[String(n)])])),
      tg: ratio(o.tg, r.llamacppTgBest?.tg ?? l.tg),
      ...(o.tg_batch !== undefined ? { tg_batch: ratio(o.tg_batch, r.llamacppBatchBest?.tg ?? l.tg_batch ?? NaN) } : {}),
      ttft: ratio(l.ttft_ms, o.ttft_ms),
      rss: ratio(o.rss_mb, l.rss_mb),
    } : null;
    return { ...r, ratios, ...(rep.streams > 1 ? { batch_scaling: batchScaling(r) } : {}) };
  });
  return JSON.stringify({ ...rep, rows }, null, 2);
}
