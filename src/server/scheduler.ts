// The server's scheduler: a fixed set of slots (one Session each) on one model, a bounded FIFO of
// waiting jobs, and a loop that runs one batched forward pass per step over every active slot:
// one token per decoding stream plus prefill chunks of prompts, all in one Session.evalBatch call,
// so N streams cost one GEMM per step instead of N GEMVs, and a long prompt enters in chunks
// without stalling the streams already decoding.
//
// Prefix cache: a free slot keeps its tokens when its job ends; a new job takes the free slot whose
// cache shares the longest prefix with its prompt and evaluates only the rest.
import { commonPrefixLength } from '../chat/prefix.js';
import type { Model } from '../model/model.js';
import { Session } from '../session/session.js';
import { Job, JobCancelledError, type JobSpec } from './job.js';
import type { ServerMetrics } from './metrics.js';

export interface SchedulerOptions {
  /** Slots: streams decoded at once. */
  parallel: number;
  /** Jobs that may wait for a slot; more are refused with QueueFullError. */
  queue: number;
  /** KV rows per slot. */
  contextLength: number;
  /** Most prompt tokens per step while other streams are decoding. */
  prefillChunk: number;
}

export class QueueFullError extends Error {
  constructor(readonly queued: number) {
    super(`server busy: all slots are in use and ${queued} requests are queued`);
    this.name = 'QueueFullError';
  }
}

interface Slot {
  readonly index: number;
  readonly session: Session;
  job: Job | null;
  /** Step at which the slot last took a job (least recently used wins ties). */
  lastUsed: number;
}

export class Scheduler {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private running = false;
  private closed = false;
  private stepCount = 0;
  private readonly maxBatch: number;

  constructor(private readonly model: Model, private readonly opts: SchedulerOptions, private readonly metrics: ServerMetrics) {
    for (const [name, v] of [['parallel', opts.parallel], ['contextLength', opts.contextLength], ['prefillChunk', opts.prefillChunk]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`scheduler: ${name} must be a positive integer, got ${v}`);
    }
    if (!Number.isInteger(opts.queue) || opts.queue < 0) throw new RangeError(`scheduler: queue must be an integer ≥ 0, got ${opts.queue}`);
    this.maxBatch = model.scratch.maxBatch;
    if (opts.parallel > this.maxBatch) throw new RangeError(`scheduler: parallel ${opts.parallel} exceeds the model's batch size ${this.maxBatch}`);
    this.slots = Array.from({ length: opts.parallel }, (_, index) => ({
      index, session: model.createSession({ contextLength: opts.contextLength }), job: null, lastUsed: -1,
    }));
  }

  get contextLength(): number {
    return this.opts.contextLength;
  }

  get activeCount(): number {
    return this.slots.filter((s) => s.job).length;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  get slotCount(): number {
    return this.slots.length;
  }

  /** Queues a job (it starts as soon as a slot is free); throws QueueFullError when the queue is full. */
  submit(spec: JobSpec): Job {
    if (this.closed) throw new Error('scheduler is closed');
    if (spec.promptIds.length === 0) throw new RangeError('scheduler: empty prompt');
    if (spec.promptIds.length >= this.opts.contextLength) throw new RangeError(`scheduler: prompt of ${spec.promptIds.length} tokens does not fit the slot context of ${this.opts.contextLength}`);
    const freeSlots = this.slots.length - this.activeCount;
    if (this.queue.length >= freeSlots + this.opts.queue) {
      this.metrics.requestsRejected++;
      throw new QueueFullError(this.queue.length);
    }
    const job = new Job(spec, this.model.tokenizer);
    job.onLeave = (j) => this.leave(j);
    this.queue.push(job);
    this.metrics.requestsTotal++;
    this.wake();
    return job;
  }

  /** Cancels every job and frees the slots' caches. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const job of [...this.queue, ...this.slots.map((s) => s.job)]) job?.cancel('server is shutting down');
    for (const slot of this.slots) slot.session.dispose();
  }

  private leave(job: Job): void {
    const q = this.queue.indexOf(job);
    if (q >= 0) this.queue.splice(q, 1);
    for (const slot of this.slots) if (slot.job === job) slot.job = null;
    // A slot came free: queued jobs can start.
    if (this.queue.length > 0) this.wake();
  }

  private wake(): void {
    if (this.running || this.closed) return;
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (!this.closed) {
        this.assignSlots();
        if (!this.slots.some((s) => s.job)) break;
        this.step();
        // Let HTTP I/O (new requests, disconnects, writes) run between steps.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }

  /** Moves queued jobs (FIFO) into free slots, each into the one whose cache matches its prompt best. */
  private assignSlots(): void {
    while (this.queue.length > 0) {
      const free = this.slots.filter((s) => !s.job);
      if (free.length === 0) return;
      const job = this.queue.shift()!;
      const ids = job.spec.promptIds;
      let best = free[0]!;
      let bestShared = -1;
      for (const slot of free) {
        const shared = commonPrefixLength(slot.session.tokens, ids);
        if (shared > bestShared || (shared === bestShared && slot.lastUsed < best.lastUsed)) {
          best = slot;
          bestShared = shared;
        }
      }
      // Keep at least the last prompt token to evaluate: its logits give the first sampled token.
      const keep = Math.min(bestShared, ids.length - 1);
      best.session.truncate(keep);
      best.job = job;
      best.lastUsed = this.stepCount;
      this.metrics.promptTokens += ids.length;
      this.metrics.cachedTokens += keep;
      try {
        job.start(keep);
      } catch (e) {
        job.fail(e as Error); // a throwing onStart (e.g. a closed socket) only ends this job
      }
    }
  }

  /** One forward pass over every active slot, then one sampled token for each slot whose prompt is done. */
  private step(): void {
    this.stepCount++;
    const t0 = performance.now();
    const active = this.slots.filter((s) => s.job);
    const items: { slot: Slot; ids: number[] }[] = [];
    // Decoding streams first: one token each.
    for (const slot of active) if (slot.job!.next >= 0) items.push({ slot, ids: [slot.job!.next] });
    const decoding = items.length;
    // Then prompt chunks, oldest job first; with nothing decoding, prompts may fill the whole batch.
    let budget = Math.min(this.maxBatch - decoding, decoding > 0 ? this.opts.prefillChunk : this.maxBatch);
    let prefill = 0;
    const prefilling = active.filter((s) => s.job!.next < 0).sort((a, b) => a.job!.seq - b.job!.seq);
    for (const slot of prefilling) {
      if (budget <= 0) break;
      const chunk = slot.job!.pending.splice(0, budget);
      items.push({ slot, ids: chunk });
      budget -= chunk.length;
      prefill += chunk.length;
    }
    if (items.length === 0) return;

    try {
      Session.evalBatch(items.map(({ slot, ids }) => ({ session: slot.session, ids })));
    } catch (e) {
      for (const { slot } of items) slot.job?.fail(new Error(`forward pass failed: ${(e as Error).message}`));
      return;
    }
    for (const { slot } of items) {
      const job = slot.job;
      if (!job || job.pending.length > 0) continue; // cancelled meanwhile, or still prefilling
      try {
        const id = job.spec.sampler.sample(slot.session.logitsView, slot.session.tokens, this.model.kernels);
        this.metrics.generatedTokens++;
        job.pushSampled(id, this.opts.contextLength - slot.session.nPast);
      } catch (e) {
        job.fail(e instanceof JobCancelledError ? e : new Error(`sampling failed: ${(e as Error).message}`));
      }
    }
    this.metrics.recordBatch(items.length, prefill, (performance.now() - t0) / 1000);
  }
}
