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

function rowCells(r: BenchRow, prompts: number[]): string[] {
  const o = isResult(r.ours) ? r.ours : undefined;
  const l: SideResult | undefined = isResult(r.llamacpp) ? r.llamacpp : undefined;
  const best = r.llamacppTgBest;
  const tgNote = best && r.threads > 1 ? ` (best t=${best.threads})` : '';
  return [
    r.mode,
    String(r.threads),
    cell(o?.rss_mb, l?.rss_mb, 0),
    ...prompts.map((n) => cell(o?.pp[String(n)], l?.pp[String(n)])),
    cell(o?.tg, best?.tg ?? l?.tg, 1, tgNote),
    // ttft: lower is better, so the ratio shown is llama.cpp's time over ours (> 1 = we are faster).
    o && l ? `${fix(o.ttft_ms)} / ${fix(l.ttft_ms)} (${fix(ratio(l.ttft_ms, o.ttft_ms), 2)}×)` : o ? fix(o.ttft_ms) : '—',
  ];
}

export function formatMarkdown(rep: BenchReport): string {
  const withLlama = rep.rows.some((r) => r.llamacpp !== null);
  const heads = ['mode', 'threads', 'resident MB', ...rep.prompts.map((n) => `pp${n} t/s`), `tg${rep.gen} t/s`, 'ttft ms'];
  const lines = [
    `Model: ${rep.model}; tsllama backend ${rep.backend}; ${rep.cpu}, ${rep.cores} cores; Node ${rep.node}; prompt ids seeded ${rep.seed}; ` +
      (rep.rounds > 1 ? `best of ${rep.rounds} rounds (fresh processes, engines alternating).` : 'one round.'),
    withLlama
      ? 'Cells: tsllama / llama.cpp (node-llama-cpp, same file format, same threads) and the ratio ours/llama.cpp (> 1 = tsllama faster; for ttft llama.cpp/ours; for resident MB ours/llama.cpp, < 1 = tsllama smaller). Generation on more than one thread compares with llama.cpp\'s best over 1..threads.'
      : 'tsllama only (--no-llamacpp).',
    '',
    `| ${heads.join(' | ')} |`,
    `|${heads.map(() => '---').join('|')}|`,
    ...rep.rows.map((r) => `| ${rowCells(r, rep.prompts).join(' | ')} |`),
  ];
  const errors = rep.rows.flatMap((r) => [
    ...(isResult(r.ours) ? [] : [`- tsllama ${r.mode} ${r.threads}t: ${r.ours.error}`]),
    ...(r.llamacpp && !isResult(r.llamacpp) ? [`- llama.cpp ${r.mode} ${r.threads}t: ${r.llamacpp.error}`] : []),
  ]);
  if (errors.length) lines.push('', 'Errors:', ...errors);
  return lines.join('\n');
}

/** The report plus per-row ratios (ours/llama.cpp; ttft as llama.cpp/ours), for machines to read. */
export function formatJson(rep: BenchReport): string {
  const rows = rep.rows.map((r) => {
    const o = isResult(r.ours) ? r.ours : undefined;
    const l = isResult(r.llamacpp) ? r.llamacpp : undefined;
    const ratios = o && l ? {
      pp: Object.fromEntries(rep.prompts.map((n) => [String(n), ratio(o.pp[String(n)], l.pp[String(n)])])),
      tg: ratio(o.tg, r.llamacppTgBest?.tg ?? l.tg),
      ttft: ratio(l.ttft_ms, o.ttft_ms),
      rss: ratio(o.rss_mb, l.rss_mb),
    } : null;
    return { ...r, ratios };
  });
  return JSON.stringify({ ...rep, rows }, null, 2);
}
