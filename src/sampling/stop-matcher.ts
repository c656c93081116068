// Incremental stop-string detection over streamed text.
// Text is emitted as soon as it cannot be part of a stop string; a suffix that is a prefix of some
// stop string is held back until the next push decides it. When a stop string completes, the text
// before it is emitted, the stop string itself and everything after it are dropped.

export class StopMatcher {
  private readonly stops: string[];
  private held = '';
  private done = false;

  /** Empty strings in `stops` are ignored (they would stop before any text). */
  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Whether a stop string has been seen; after that, push() emits nothing. */
  get stopped(): boolean {
    return this.done;
  }

  push(text: string): { emit: string; stopped: boolean } {
    if (this.done) return { emit: '', stopped: true };
    const buf = this.held + text;
    // Earliest-starting stop string wins (ties: the first listed).
    let cut = -1;
    for (const s of this.stops) {
      const at = buf.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.done = true;
      this.held = '';
      return { emit: buf.slice(0, cut), stopped: true };
    }
    const keep = this.longestPartialSuffix(buf);
    this.held = buf.slice(buf.length - keep);
    return { emit: buf.slice(0, buf.length - keep), stopped: false };
  }

  /** At the end of generation: the held-back text (it never became a stop string). */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest suffix of buf that is a proper prefix of some stop string. */
  private longestPartialSuffix(buf: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let len = Math.min(s.length - 1, buf.length); len > best; len--) {
        if (buf.endsWith(s.slice(0, len))) { best = len; break; }
      }
    }
    return best;
  }
}
