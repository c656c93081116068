// Best-of merging of repeated benchmark measurements (`tsllama bench --rounds N`): on a shared
// machine interference only ever slows a run down, so each figure keeps its best round — the
// highest tokens/s (prefill, generation, batched generation), the lowest ttft — for both engines alike.
import { isResult, type SideResult } from './types.js';

/** Per field the better of two measurements of one configuration; an error only when both failed. */
export function bestOf(a: SideResult | { error: string }, b: SideResult | { error: string }): SideResult | { error: string } {
  if (!isResult(a)) return b;
  if (!isResult(b)) return a;
  const pp: Record<string, number> = {};
  for (const n of new Set([...Object.keys(a.pp), ...Object.keys(b.pp)])) pp[n] = Math.max(a.pp[n] ?? 0, b.pp[n] ?? 0);
  const faster = b.tg > a.tg ? b : a;
  return {
    rss_mb: Math.min(a.rss_mb, b.rss_mb),
    load_s: Math.min(a.load_s, b.load_s),
    pp,
    tg: faster.tg,
    ttft_ms: Math.min(a.ttft_ms, b.ttft_ms),
    ...(a.tg_batch !== undefined || b.tg_batch !== undefined ? { tg_batch: Math.max(a.tg_batch ?? 0, b.tg_batch ?? 0) } : {}),
    // the info of the generation run kept: it names the decode thread mode behind that figure
    info: faster.info,
  };
}
