// The load test's prompts and request numbering, shared by the tsllama server run
// (server-load.ts) and llama.cpp's run of the same workload (llamacpp-streams.ts).

export const LOAD_PROMPTS = ['Once upon a time', 'The little dog', 'Lily and Tom went', 'One day, a girl named Sue', 'The sun was', 'A big red ball'];

/** Prompt and seed of request r of stream s (each stream sends its requests one after another). */
export function loadRequest(s: number, r: number, requestsPerStream: number): { prompt: string; seed: number } {
  return { prompt: LOAD_PROMPTS[(s * requestsPerStream + r) % LOAD_PROMPTS.length]!, seed: s * 1000 + r };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
