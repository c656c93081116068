// Open-addressing hash map from a pair of int32 to an int32, in flat typed arrays. A JS Map keyed by a
// packed pair would need keys beyond the small-integer range, which V8 boxes, and that was the SPM hot spot.

const EMPTY = -0x80000000;

export class PairMemo {
  private keyA: Int32Array;
  private keyB: Int32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  /** Starts at 2^initialBits slots, doubles up to 2^maxBits, then starts over empty. */
  constructor(initialBits = 12, private readonly maxBits = 20) {
    const cap = 1 << initialBits;
    this.keyA = new Int32Array(cap).fill(EMPTY);
    this.keyB = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** The value stored for (a, b), or `missing`. */
  get(a: number, b: number, missing: number): number {
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const k = this.keyA[i];
      if (k === EMPTY) return missing;
      if (k === a && this.keyB[i] === b) return this.values[i];
    }
  }

  set(a: number, b: number, value: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const k = this.keyA[i];
      if (k === EMPTY) { this.keyA[i] = a; this.keyB[i] = b; this.values[i] = value; this.count++; return; }
      if (k === a && this.keyB[i] === b) { this.values[i] = value; return; }
    }
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0 & this.mask;
  }

  private grow(): void {
    const oldA = this.keyA, oldB = this.keyB, oldV = this.values;
    const bits = Math.log2(oldA.length) + 1;
    const cap = bits > this.maxBits ? oldA.length : oldA.length * 2;
    this.keyA = new Int32Array(cap).fill(EMPTY);
    this.keyB = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    if (bits > this.maxBits) return; // full at the largest size: forget everything (it is only a memo)
    for (let i = 0; i < oldA.length; i++) if (oldA[i] !== EMPTY) this.set(oldA[i], oldB[i], oldV[i]);
  }
}
