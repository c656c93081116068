// Per-call generation statistics, as `--stats` and session.stats() report them.

export interface GenerationStats {
  /** Prompt tokens evaluated by this call (prefix-cache hits excluded). */
  n_prompt: number;
  /** Tokens generated. */
  n_gen: number;
  /** Seconds from the call's start to the first generated token (prefill + first sample). */
  ttft_s: number;
  /** Prompt tokens per second during prefill. */
  prefill_tps: number;
  /** Generated tokens per second after the first (decode steps only). */
  gen_tps: number;
  /** Resident set size of the process, MiB. */
  rss_mb: number;
  /** Size of the model's WASM memory, MiB. */
  wasm_mb: number;
}

/** Measures one generate() call. */
export class StatsRecorder {
  private t0 = 0;
  private prefillEnd = 0;
  private firstToken = 0;
  private last = 0;
  nPrompt = 0;
  nGen = 0;

  start(): void {
    this.t0 = performance.now();
    this.prefillEnd = this.firstToken = this.last = this.t0;
    this.nPrompt = this.nGen = 0;
  }
  prefillDone(nTokens: number): void {
    this.nPrompt += nTokens;
    this.prefillEnd = performance.now();
  }
  tokenDone(): void {
    this.last = performance.now();
    if (this.nGen === 0) this.firstToken = this.last;
    this.nGen++;
  }

  snapshot(wasmBytes: number): GenerationStats {
    const prefillS = (this.prefillEnd - this.t0) / 1000;
    const genS = (this.last - this.firstToken) / 1000;
    return {
      n_prompt: this.nPrompt,
      n_gen: this.nGen,
      ttft_s: this.nGen > 0 ? (this.firstToken - this.t0) / 1000 : 0,
      prefill_tps: prefillS > 0 ? this.nPrompt / prefillS : 0,
      gen_tps: genS > 0 && this.nGen > 1 ? (this.nGen - 1) / genS : 0,
      rss_mb: process.memoryUsage().rss / (1024 * 1024),
      wasm_mb: wasmBytes / (1024 * 1024),
    };
  }
}
