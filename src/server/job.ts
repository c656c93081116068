// One generation request as the scheduler runs it: the prompt ids still to evaluate, the sampled
// token waiting to be fed back, and the text pipeline (UTF-8-safe stream decoding → stop strings).
import type { Sampler } from '../sampling/sampler.js';
import { StopMatcher } from '../sampling/stop-matcher.js';
import type { StreamDecoder, Tokenizer } from '../tokenizer/types.js';

export interface JobSpec {
  /** The whole prompt; the scheduler evaluates only what its slot's cache does not already hold. */
  promptIds: readonly number[];
  /** Most tokens to generate (the caller clamps it to the context). */
  maxTokens: number;
  sampler: Sampler;
  /** Strings that end generation (not included in the output). */
  stopStrings: readonly string[];
  /** Ids that end generation besides the tokenizer's EOG ids (e.g. the chat template's end of turn). */
  stopTokens: ReadonlySet<number>;
  /** Called once the job has a slot, before any text. */
  onStart?: (info: { cachedTokens: number }) => void;
  /** Called with each piece of output text as soon as it is final. */
  onText?: (text: string) => void;
}

export type FinishReason = 'stop' | 'length';

export interface JobResult {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens found in the slot's cache and not recomputed. */
  cachedTokens: number;
}

/** Rejects a job's `done` promise when it was cancelled (client gone, server closing). */
export class JobCancelledError extends Error {
  constructor(reason: string) {
    super(`request cancelled: ${reason}`);
    this.name = 'JobCancelledError';
  }
}

let nextJobSeq = 1;

export class Job {
  readonly seq = nextJobSeq++;
  readonly done: Promise<JobResult>;
  state: 'queued' | 'active' | 'finished' = 'queued';
  /** Prompt ids not evaluated yet. */
  pending: number[] = [];
  /** The last sampled id, to be evaluated in the next step; -1 while prefilling. */
  next = -1;
  generated = 0;
  cachedTokens = 0;
  /** Set by the scheduler; called when the job leaves (finishes or is cancelled). */
  onLeave: ((job: Job) => void) | null = null;
  private text = '';
  private decoder: StreamDecoder;
  private stops: StopMatcher;
  private resolve!: (r: JobResult) => void;
  private reject!: (e: Error) => void;

  constructor(readonly spec: JobSpec, private readonly tokenizer: Tokenizer) {
    this.done = new Promise<JobResult>((res, rej) => { this.resolve = res; this.reject = rej; });
    // The caller may never await `done` when it cancels; keep that from being an unhandled rejection.
    this.done.catch(() => {});
    this.decoder = tokenizer.streamDecoder();
    this.stops = new StopMatcher(spec.stopStrings);
  }

  /** Takes the slot: `cachedTokens` of the prompt are already in its cache. */
  start(cachedTokens: number): void {
    this.state = 'active';
    this.cachedTokens = cachedTokens;
    this.pending = this.spec.promptIds.slice(cachedTokens);
    this.spec.onStart?.({ cachedTokens });
  }

  /**
   * Handles one sampled id: ends on an end token, a stop string or the token limit; otherwise
   * emits its text and keeps it for the next step. `roomLeft`: cache rows still free in the slot.
   */
  pushSampled(id: number, roomLeft: number): void {
    this.generated++;
    if (this.tokenizer.isEog(id) || this.spec.stopTokens.has(id)) return this.finish('stop', false);
    const { emit, stopped } = this.stops.push(this.decoder.push(id));
    this.emit(emit);
    if (stopped) return this.finish('stop', true);
    if (this.generated >= this.spec.maxTokens || roomLeft <= 0) return this.finish('length', false);
    this.next = id;
  }

  /** Ends the job with an error (e.g. the forward pass failed). */
  fail(e: Error): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.onLeave?.(this);
    this.reject(e);
  }

  cancel(reason: string): void {
    this.fail(new JobCancelledError(reason));
  }

  private emit(text: string): void {
    if (!text) return;
    this.text += text;
    this.spec.onText?.(text);
  }

  private finish(reason: FinishReason, stoppedByString: boolean): void {
    // A stop string drops what follows it; otherwise flush text held back for UTF-8 or a possible stop.
    if (!stoppedByString) this.emit(this.stops.push(this.decoder.flush()).emit + this.stops.flush());
    this.state = 'finished';
    this.next = -1;
    this.onLeave?.(this);
    this.resolve({
      text: this.text,
      finishReason: reason,
      promptTokens: this.spec.promptIds.length,
      completionTokens: this.generated,
      cachedTokens: this.cachedTokens,
    });
  }
}
