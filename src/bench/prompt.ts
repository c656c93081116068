// Seeded random prompt ids and small timing helpers used by both benchmark sides.
import { THREAD_MODE_SETTLED_AFTER } from '../model/thread-mode.js';

/** `n` ids in [lo, nVocab) from a xorshift32 stream: the same prompt for both engines. */
export function randomPromptIds(n: number, nVocab: number, seed: number, lo = 3): number[] {
  if (nVocab <= lo) throw new Error(`vocabulary of ${nVocab} tokens is too small for a random prompt`);
  let s = (seed >>> 0) || 0x9e3779b9;
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    ids.push(lo + (s % (nVocab - lo)));
  }
  return ids;
}

export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

export function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/**
 * Decode steps of each side's warm-up: past the first trial in which a multi-threaded tsllama
 * model times pooled against serial decode steps (model/thread-mode.ts), so tg measures the mode a
 * long generation runs in; llama.cpp's side warms up with as many.
 */
export function warmupDecodeSteps(): number {
  return THREAD_MODE_SETTLED_AFTER + 1;
}

/**
 * The ids fed in the batched-decode measurement: per step, one id per stream (the same seeded
 * stream for both engines, so neither side's sampling is timed).
 */
export function batchedDecodeIds(streams: number, steps: number, nVocab: number, seed: number): number[][] {
  const flat = randomPromptIds(streams * steps, nVocab, seed);
  return Array.from({ length: steps }, (_, i) => flat.slice(i * streams, (i + 1) * streams));
}
