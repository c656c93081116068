// How many threads (caller included) the kernels run on by default.
import os from 'node:os';
import { MAX_THREADS } from './control-block.js';

export { MAX_THREADS };

/** TSLLAMA_THREADS when set (a positive integer up to MAX_THREADS), else os.availableParallelism(). */
export function defaultThreadCount(): number {
  const raw = process.env.TSLLAMA_THREADS;
  if (raw === undefined || raw.trim() === '') return Math.min(os.availableParallelism(), MAX_THREADS);
  return parseThreadCount(raw, 'TSLLAMA_THREADS');
}

/** Parses a thread count from user input (env var, CLI flag); `what` names the source in the error. */
export function parseThreadCount(raw: string, what: string): number {
  const text = raw.trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`${what} must be a whole number of threads from 1 to ${MAX_THREADS}, got "${raw}"`);
  }
  return n;
}
