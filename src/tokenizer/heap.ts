// A binary min-heap of merge candidates keyed by (priority, left index).
// Both llama.cpp tokenizers pop the best candidate and break ties by the leftmost position:
// BPE by lowest merge rank, SPM by highest score (pushed negated here).
// Candidates are appended to flat typed arrays; the heap itself only moves their int32 indices.

export class MergeQueue {
  private prio = new Float64Array(256);
  private left = new Int32Array(256);
  private right = new Int32Array(256);
  private size = new Int32Array(256);
  private payload = new Int32Array(256);
  private heap = new Int32Array(256);
  private nCandidates = 0;
  private n = 0;

  get length(): number { return this.n; }
  clear(): void { this.n = 0; this.nCandidates = 0; }

  /** `payload` rides along (SPM: the id of the merged token). */
  push(prio: number, left: number, right: number, size: number, payload = 0): void {
    if (this.nCandidates === this.prio.length) this.growCandidates();
    if (this.n === this.heap.length) this.heap = grown(this.heap, new Int32Array(this.heap.length * 2));
    const c = this.nCandidates++;
    this.prio[c] = prio; this.left[c] = left; this.right[c] = right; this.size[c] = size; this.payload[c] = payload;
    const heap = this.heap, pr = this.prio, lf = this.left;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = heap[p];
      if (!(prio < pr[hp] || (prio === pr[hp] && left < lf[hp]))) break;
      heap[i] = hp;
      i = p;
    }
    heap[i] = c;
  }

  /** Removes the best entry into `out` ([prio, left, right, size, payload]); false when empty. */
  pop(out: Float64Array): boolean {
    if (this.n === 0) return false;
    const heap = this.heap, pr = this.prio, lf = this.left;
    const top = heap[0];
    out[0] = pr[top]; out[1] = lf[top]; out[2] = this.right[top]; out[3] = this.size[top]; out[4] = this.payload[top];
    const last = --this.n;
    if (last > 0) {
      const x = heap[last];
      const xp = pr[x], xl = lf[x];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        const b = c + 1;
        if (b < last) {
          const hb = heap[b], hc = heap[c];
          if (pr[hb] < pr[hc] || (pr[hb] === pr[hc] && lf[hb] < lf[hc])) c = b;
        }
        const hc = heap[c];
        if (!(pr[hc] < xp || (pr[hc] === xp && lf[hc] < xl))) break;
        heap[i] = hc;
        i = c;
      }
      heap[i] = x;
    }
    if (this.n === 0) this.nCandidates = 0; // all candidates consumed: reuse the storage
    return true;
  }

  private growCandidates(): void {
    const cap = this.prio.length * 2;
    this.prio = grown(this.prio, new Float64Array(cap));
    this.left = grown(this.left, new Int32Array(cap));
    this.right = grown(this.right, new Int32Array(cap));
    this.size = grown(this.size, new Int32Array(cap));
    this.payload = grown(this.payload, new Int32Array(cap));
  }
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
