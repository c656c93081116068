// Picks, by measurement, whether one-token decode steps use the thread pool or only the calling
// thread. On small models a decode step is ~300 short ops; a fork-join per op, and a spinning
// worker stealing the shared core or memory bandwidth, can make 2 threads slower than 1 (measured
// on this project's 2-core VM in an earlier build: q4 SmolLM2-135M decoded ~130 t/s pooled vs
// ~155 t/s serial; today's kernels gain from the pool in all three formats, but a machine busy with
// other work still loses). So the model times both modes on real steps and keeps the faster,
// re-checking now and then as contexts grow. Serial is the default side of the margin: with more
// threads, decode must never be slower than with one, and serial leaves the other cores idle.

export type ThreadMode = 'pooled' | 'serial';

// A round times the modes in blocks of consecutive steps, pooled first: BLOCKS_PER_MODE blocks of
// BLOCK_STEPS steps each, alternating, so pooled steps run back to back with a hot worker as in a
// real generation; the first step of each block pays for the switch and is not timed. Each mode
// is then judged by its lower quartile, not its median: on a shared machine interference only
// ever adds time, and right after loading, V8's background compilation competes with the worker
// for the cores (measured on q8 SmolLM2-135M: pooled steps of 7–8 ms with spikes to 15–40 ms,
// serial 10–13 ms; medians picked serial, whose steady decode is ~25% slower than pooled).
const BLOCK_STEPS = 5;
const BLOCKS_PER_MODE = 2;
/** Decode steps of one round, timing both modes. */
export const THREAD_MODE_TRIAL_STEPS = 2 * BLOCKS_PER_MODE * BLOCK_STEPS;
/**
 * The pool must beat serial by this factor to be chosen (timings on a shared VM jitter by ±20%;
 * a pool that only ties costs a core for nothing).
 */
const MARGIN = 0.95;
const RECHECK_EVERY = 512; // steps between rounds
/** Steps before the second round: the first one ran while V8 was still compiling in the background. */
const RECHECK_FIRST = 64;
/**
 * Pooled steps before the first round. For a while after loading, V8's background threads (its
 * optimizing compiler, concurrent GC) compete with the worker for the cores: forced-pooled q8
 * SmolLM2-135M steps of 7–8 ms spiked to 15–30 ms until about step 50, serial ones did not, so a
 * first round at step 0 picked serial in 4 of 6 trials although steady pooled decode is ~20% faster
 * (6 of 6 dedicated runs, q8, q4 and fp32). Main-thread GC was not the cause (none in those steps).
 */
const FIRST_ROUND_AFTER = 64;
/** Decode steps a fresh model takes before its first choice (benchmarks warm up past them). */
export const THREAD_MODE_SETTLED_AFTER = FIRST_ROUND_AFTER + THREAD_MODE_TRIAL_STEPS;

export class ThreadModeChooser {
  private times: Record<ThreadMode, number[]> = { pooled: [], serial: [] };
  private choice: ThreadMode = 'pooled';
  /** Starts below zero: the first round waits FIRST_ROUND_AFTER steps, decoding pooled meanwhile. */
  private sinceRound = -FIRST_ROUND_AFTER;
  private measuring = false;
  /** Steps taken in the current round. */
  private roundStep = 0;
  private rounds = 0;

  constructor(private readonly enabled: boolean) {}

  /** The mode for the next step. */
  next(): ThreadMode {
    if (!this.enabled) return 'pooled';
    if (this.measuring) return Math.floor(this.roundStep / BLOCK_STEPS) % 2 === 0 ? 'pooled' : 'serial';
    return this.choice;
  }

  /** Reports how long a step took in the mode next() returned. */
  record(mode: ThreadMode, ms: number): void {
    if (!this.enabled) return;
    if (!this.measuring) {
      if (++this.sinceRound >= (this.rounds === 0 ? 0 : this.rounds === 1 ? RECHECK_FIRST : RECHECK_EVERY)) {
        this.measuring = true;
        this.roundStep = 0;
        this.times = { pooled: [], serial: [] };
      }
      return;
    }
    if (this.roundStep % BLOCK_STEPS !== 0) this.times[mode].push(ms); // a block's first step pays the switch
    if (++this.roundStep >= THREAD_MODE_TRIAL_STEPS) {
      this.choice = lowerQuartile(this.times.pooled) < MARGIN * lowerQuartile(this.times.serial) ? 'pooled' : 'serial';
      this.measuring = false;
      this.sinceRound = 0;
      this.rounds++;
    }
  }

  get current(): ThreadMode {
    return this.choice;
  }
}

function lowerQuartile(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 2]!;
}
