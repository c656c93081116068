// Server counters, shown as JSON (/v1/stats) and Prometheus text (/metrics).

export interface StatsSnapshot {
  /** Requests holding a slot right now. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  slots: number;
  requests_total: number;
  /** Requests turned away with 503 because the queue was full. */
  requests_rejected: number;
  prompt_tokens: number;
  /** Prompt tokens served from a slot's cache instead of being evaluated. */
  cached_tokens: number;
  generated_tokens: number;
  /** Generated tokens per second of time spent in forward passes and sampling. */
  tokens_per_second: number;
  /** Prompt tokens evaluated (not cached) per second of that time. */
  prompt_tokens_per_second: number;
  /** Forward passes run, and the average number of streams decoded in each. */
  batches: number;
  avg_batch_streams: number;
  /** Seconds spent in forward passes and sampling since the start (the basis of the two rates above). */
  compute_seconds: number;
  uptime_seconds: number;
}

export class ServerMetrics {
  requestsTotal = 0;
  requestsRejected = 0;
  promptTokens = 0;
  cachedTokens = 0;
  generatedTokens = 0;
  evaluatedPromptTokens = 0;
  batches = 0;
  private streamsInBatches = 0;
  private busySeconds = 0;
  private readonly startedAt = Date.now();

  recordBatch(streams: number, promptTokensEvaluated: number, seconds: number): void {
    this.batches++;
    this.streamsInBatches += streams;
    this.evaluatedPromptTokens += promptTokensEvaluated;
    this.busySeconds += seconds;
  }

  snapshot(active: number, queued: number, slots: number): StatsSnapshot {
    const busy = this.busySeconds;
    return {
      active,
      queued,
      slots,
      requests_total: this.requestsTotal,
      requests_rejected: this.requestsRejected,
      prompt_tokens: this.promptTokens,
      cached_tokens: this.cachedTokens,
      generated_tokens: this.generatedTokens,
      tokens_per_second: busy > 0 ? round(this.generatedTokens / busy) : 0,
      prompt_tokens_per_second: busy > 0 ? round(this.evaluatedPromptTokens / busy) : 0,
      batches: this.batches,
      avg_batch_streams: this.batches > 0 ? round(this.streamsInBatches / this.batches) : 0,
      compute_seconds: Math.round(busy * 1e6) / 1e6,
      uptime_seconds: round((Date.now() - this.startedAt) / 1000),
    };
  }
}

const HELP: Record<keyof StatsSnapshot, [type: 'gauge' | 'counter', help: string]> = {
  active: ['gauge', 'Requests holding a slot'],
  queued: ['gauge', 'Requests waiting for a slot'],
  slots: ['gauge', 'Parallel slots'],
  requests_total: ['counter', 'Generation requests accepted'],
  requests_rejected: ['counter', 'Requests rejected because the queue was full'],
  prompt_tokens: ['counter', 'Prompt tokens of accepted requests'],
  cached_tokens: ['counter', 'Prompt tokens reused from a slot cache'],
  generated_tokens: ['counter', 'Tokens generated'],
  tokens_per_second: ['gauge', 'Generated tokens per second of compute time'],
  prompt_tokens_per_second: ['gauge', 'Prompt tokens evaluated per second of compute time'],
  batches: ['counter', 'Batched forward passes'],
  avg_batch_streams: ['gauge', 'Average streams per forward pass'],
  compute_seconds: ['counter', 'Seconds spent in forward passes and sampling'],
  uptime_seconds: ['gauge', 'Seconds since the server started'],
};

/** Prometheus text exposition format 0.0.4. */
export function prometheusText(s: StatsSnapshot): string {
  const lines: string[] = [];
  for (const [key, [type, help]] of Object.entries(HELP) as [keyof StatsSnapshot, [string, string]][]) {
    const name = `tsllama_${key}`;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${s[key]}`);
  }
  return lines.join('\n') + '\n';
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
