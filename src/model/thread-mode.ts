// Picks, by measurement, whether one-token decode steps use the thread pool or only the calling
// thread. On small models a decode step is ~300 short ops; a fork-join per op, and a spinning
// worker stealing the shared core or memory bandwidth, can make 2 threads slower than 1 (measured
// on this project's 2-core VM: q4 SmolLM2-135M decodes ~130 t/s pooled vs ~155 t/s serial, while
// q8 gains from the pool). So the model times both modes on real steps and keeps the faster,
// re-checking now and then as contexts grow. Serial is the default side of the margin: with more
// threads, decode must never be slower than with one, and serial leaves the other cores idle.

export type ThreadMode = 'pooled' | 'serial';

const TRIALS = 10;         // timed steps per mode in a round
/** Decode steps a fresh model spends timing both modes before it settles (benchmarks warm up past them). */
export const THREAD_MODE_TRIAL_STEPS = 2 * TRIALS;
/**
 * The pool must beat serial by this factor to be chosen (timings on a shared VM jitter by ±20%;
 * a pool that only ties costs a core for nothing).
 */
const MARGIN = 0.95;
const RECHECK_EVERY = 512; // steps between rounds

export class ThreadModeChooser {
  private times: Record<ThreadMode, number[]> = { pooled: [], serial: [] };
  private choice: ThreadMode = 'pooled';
  private sinceRound = 0;
  private measuring = true;

  constructor(private readonly enabled: boolean) {}

  /** The mode for the next step. */
  next(): ThreadMode {
    if (!this.enabled) return 'pooled';
    if (this.measuring) {
      const n = this.times.pooled.length + this.times.serial.length;
      return n % 2 === 0 ? 'pooled' : 'serial';
    }
    return this.choice;
  }

  /** Reports how long a step took in the mode next() returned. */
  record(mode: ThreadMode, ms: number): void {
    if (!this.enabled) return;
    if (!this.measuring) {
      if (++this.sinceRound >= RECHECK_EVERY) {
        this.measuring = true;
        this.times = { pooled: [], serial: [] };
      }
      return;
    }
    this.times[mode].push(ms);
    if (this.times.pooled.length >= TRIALS && this.times.serial.length >= TRIALS) {
      this.choice = median(this.times.pooled) < MARGIN * median(this.times.serial) ? 'pooled' : 'serial';
      this.measuring = false;
      this.sinceRound = 0;
    }
  }

  get current(): ThreadMode {
    return this.choice;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
