// How long a pool thread spins on a shared counter before sleeping in Atomics.wait.
//
// Spinning saves the futex wake-up (tens of µs) when the other side answers soon, which is the
// normal case inside a forward pass. But when there are more runnable threads than CPUs (other
// processes, or more pool threads than cores) a spinning thread burns the CPU the awaited thread
// needs, and one op can cost a whole scheduler time slice (ms). So the budget adapts: each wait
// reports how long it took; quick answers double the budget (up to max), slow ones halve it.

/** Loads of the awaited counter before the first clock read (a few hundred ns): a hit here costs no timing. */
export const QUICK_SPINS = 256;

/** A wait this short counts as quick even when the budget is 0 (a sleep/wake round trip). */
const QUICK_MICROS = 50;

export class SpinBudget {
  /** Current spin budget in µs. */
  micros: number;

  constructor(readonly max: number) {
    this.micros = max;
  }

  /** Record how long the last wait took (µs), spinning and sleeping together. */
  record(waitedMicros: number): void {
    if (waitedMicros <= Math.max(this.micros, QUICK_MICROS)) {
      this.micros = Math.min(this.max, this.micros * 2 + 1);
    } else {
      this.micros = this.micros < 2 ? 0 : this.micros / 2;
    }
  }
}
