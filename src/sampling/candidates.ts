// The working set of candidate tokens that the truncation samplers narrow down:
// parallel arrays ids[i], logits[i] for i < size, reused across calls to avoid allocation.
// "Better" means a higher logit, ties going to the lower id, so every order here is deterministic.
import type { Kernels } from '../kernels/types.js';
import { topKBoundGuess } from './top-k-bound.js';

/**
 * fillTop pre-filters with topKBoundGuess up to this vocabulary size. The guess costs two passes
 * over the scores; at k = 40 it cuts fillTop from ~8 to ~3 µs at 512 tokens, while at 32K and more
 * the single heap pass is already about one comparison per token.
 */
const BOUND_MAX_VOCAB = 16384;

export class Candidates {
  ids: Int32Array = new Int32Array(0);       // [size]
  logits: Float32Array = new Float32Array(0); // [size]
  size = 0;
  /** True when entries are ordered best-first. */
  sorted = false;
  // Second pair of buffers for reordering without allocating; swapped with the first.
  private ids2: Int32Array = new Int32Array(0);
  private logits2: Float32Array = new Float32Array(0);
  private probs: Float64Array = new Float64Array(0);

  private reserve(n: number): void {
    if (this.ids.length >= n) return;
    this.ids = new Int32Array(n);
    this.logits = new Float32Array(n);
    this.ids2 = new Int32Array(n);
    this.logits2 = new Float32Array(n);
  }

  /** Loads every token whose logit is above -Infinity (banned and NaN ids drop out), in id order. scores: [n_vocab] */
  fill(scores: Float32Array): void {
    this.reserve(scores.length);
    let n = 0;
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!;
      if (v > -Infinity) {
        this.ids[n] = i;
        this.logits[n] = v;
        n++;
      }
    }
    this.size = n;
    this.sorted = false;
  }

  /**
   * fill() then keepTop(k) without loading the whole vocabulary: a size-k min-heap of (logit, id)
   * whose root is the worst kept entry, fed in id order (so an equal logit never beats the root:
   * its id is higher) with only the tokens at or above a guessed bound (topKBoundGuess). When at
   * least k tokens pass the bound, the k-th highest logit is ≥ it, so every token of the top k
   * passed; when fewer pass, the heap is refilled without a bound. Ends sorted best-first.
   * With kernels that have topK, that kernel does the selection (same result, in WASM).
   * scores: [n_vocab]
   */
  fillTop(scores: Float32Array, k: number, kernels?: Pick<Kernels, 'topK'>): void {
    k = Math.max(0, Math.min(k, scores.length));
    this.reserve(k);
    if (kernels?.topK) {
      this.size = kernels.topK(scores, k, this.ids, this.logits);
      this.sorted = true;
      return;
    }
    const bound = k === 0 ? Infinity : scores.length <= BOUND_MAX_VOCAB ? topKBoundGuess(scores, k) : -Infinity;
    let n = this.heapTop(scores, k, bound);
    if (n < k && bound > -Infinity) n = this.heapTop(scores, k, -Infinity);
    // heap sort: move the worst to the end each time → best-first order
    const hv = this.logits2;
    const hi = this.ids2;
    for (let end = n - 1; end > 0; end--) {
      const v = hv[end]!;
      const id = hi[end]!;
      hv[end] = hv[0]!; hi[end] = hi[0]!;
      siftDownRoot(hv, hi, end, v, id);
    }
    [this.ids, this.ids2] = [this.ids2, this.ids];
    [this.logits, this.logits2] = [this.logits2, this.logits];
    this.size = n;
    this.sorted = true;
  }

  /** The min-heap of fillTop in logits2 / ids2 over the allowed tokens ≥ bound; returns its size (≤ k). */
  private heapTop(scores: Float32Array, k: number, bound: number): number {
    const hv = this.logits2; // heap of logits
    const hi = this.ids2;    // and their ids; hv[0] / hi[0] is the worst kept
    let n = 0;
    let i = 0;
    // fill the heap with the first k allowed tokens (sift up)
    for (; i < scores.length && n < k; i++) {
      const v = scores[i]!;
      if (!(v > -Infinity) || v < bound) continue;
      let j = n++;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        const pv = hv[parent]!;
        if (!(v < pv || (v === pv && i > hi[parent]!))) break;
        hv[j] = pv; hi[j] = hi[parent]!;
        j = parent;
      }
      hv[j] = v; hi[j] = i;
    }
    // the rest: only a strictly higher logit than the root enters
    let rootV = n === k && k > 0 ? hv[0]! : Infinity;
    for (; i < scores.length; i++) {
      const v = scores[i]!;
      if (!(v > rootV)) continue;
      siftDownRoot(hv, hi, k, v, i);
      rootV = hv[0]!;
    }
    return n;
  }

  maxLogit(): number {
    if (this.sorted && this.size > 0) return this.logits[0]!;
    let m = -Infinity;
    for (let i = 0; i < this.size; i++) if (this.logits[i]! > m) m = this.logits[i]!;
    return m;
  }

  /** Whether entry a ranks below entry b (lower logit, or equal logit and higher id). */
  private worse(a: number, b: number): boolean {
    const la = this.logits[a]!;
    const lb = this.logits[b]!;
    return la < lb || (la === lb && this.ids[a]! > this.ids[b]!);
  }

  /**
   * Positions of the k best entries, best first, without changing the set: a size-k min-heap in
   * one pass (O(size · log k)), then a heap sort of the k survivors — no full sort when k ≪ size.
   */
  topPositions(k: number): Int32Array {
    k = Math.min(k, this.size);
    const heap = new Int32Array(k); // heap[0] is the worst of the kept entries
    let n = 0;
    const siftDown = (from: number, len: number): void => {
      let i = from;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= len) return;
        const r = l + 1;
        const c = r < len && this.worse(heap[r]!, heap[l]!) ? r : l;
        if (!this.worse(heap[c]!, heap[i]!)) return;
        const t = heap[i]!; heap[i] = heap[c]!; heap[c] = t;
        i = c;
      }
    };
    for (let pos = 0; pos < this.size; pos++) {
      if (n < k) {
        // sift up
        let i = n++;
        heap[i] = pos;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if (!this.worse(heap[i]!, heap[parent]!)) break;
          const t = heap[i]!; heap[i] = heap[parent]!; heap[parent] = t;
          i = parent;
        }
      } else if (k > 0 && this.worse(heap[0]!, pos)) {
        heap[0] = pos;
        siftDown(0, k);
      }
    }
    // Heap sort: repeatedly move the worst to the end → best-first order.
    for (let end = n - 1; end > 0; end--) {
      const t = heap[0]!; heap[0] = heap[end]!; heap[end] = t;
      siftDown(0, end);
    }
    return heap;
  }

  /** Reorders the set to order[0..n) (positions into the current set) and keeps only those. */
  keep(order: ArrayLike<number>, n: number, sorted: boolean): void {
    for (let i = 0; i < n; i++) {
      const pos = order[i]!;
      this.ids2[i] = this.ids[pos]!;
      this.logits2[i] = this.logits[pos]!;
    }
    [this.ids, this.ids2] = [this.ids2, this.ids];
    [this.logits, this.logits2] = [this.logits2, this.logits];
    this.size = n;
    this.sorted = sorted;
  }

  /** Keeps the k best entries, best first. */
  keepTop(k: number): void {
    const order = this.topPositions(k);
    this.keep(order, order.length, true);
  }

  /**
   * exp(logit - max) of the current entries, in the current order: [size] float64 in a buffer
   * reused by the next call of this or probabilities() (sampling runs once per token; a fresh
   * array each time is garbage).
   */
  exps(max: number): Float64Array {
    if (this.probs.length < this.size) this.probs = new Float64Array(Math.max(this.size, 2 * this.probs.length));
    const e = this.probs.subarray(0, this.size);
    for (let i = 0; i < this.size; i++) e[i] = Math.exp(this.logits[i]! - max);
    return e;
  }

  /** Softmax of the current logits, in the current order, in the exps() buffer. */
  probabilities(): Float64Array {
    const p = this.exps(this.maxLogit());
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += p[i]!;
    for (let i = 0; i < this.size; i++) p[i] = p[i]! / sum;
    return p;
  }
}

/** Puts (v, id) at the root of the min-heap hv/hi of length len and sifts it down ("worse" = lower logit, or equal and higher id). */
function siftDownRoot(hv: Float32Array, hi: Int32Array, len: number, v: number, id: number): void {
  let j = 0;
  for (;;) {
    const l = 2 * j + 1;
    if (l >= len) break;
    const r = l + 1;
    let c = l;
    if (r < len) {
      const lv = hv[l]!;
      const rv = hv[r]!;
      if (rv < lv || (rv === lv && hi[r]! > hi[l]!)) c = r;
    }
    const cv = hv[c]!;
    if (!(cv < v || (cv === v && hi[c]! > id))) break;
    hv[j] = cv; hi[j] = hi[c]!;
    j = c;
  }
  hv[j] = v; hi[j] = id;
}
