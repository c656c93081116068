// Seeded random numbers for synthetic weights: mulberry32 uniforms, polar Box-Muller normals.
// Each tensor gets its own stream (seed mixed with the tensor name), so its values do not depend on
// the order tensors are written in, the chunk size, or the output type.

export class SeededRng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Standard normal by the Marsaglia polar form of Box-Muller (one log and sqrt per pair, no trig).
   * The second value of each pair is kept for the next call, so a stream of values does not depend
   * on how it is split between calls.
   */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      this.spare = v * f;
      return u * f;
    }
  }

  /** out[i] = mean + std · N(0, 1): the same values as calling normal() out.length times. */
  fillNormal(out: Float32Array, std: number, mean = 0): void {
    let i = 0;
    if (this.spare !== undefined && out.length > 0) out[i++] = mean + std * this.normal();
    // Inlined pair loop: this is the hot path of writing a synthetic model.
    let state = this.state;
    const uniform = (): number => {
      const a = (state = (state + 0x6d2b79f5) | 0);
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    while (i < out.length) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = mean + std * u * f;
      if (i < out.length) out[i++] = mean + std * v * f;
      else this.spare = v * f;
    }
    this.state = state;
  }
}

/** A 32-bit seed from a user seed and a name (FNV-1a over the name, then a murmur3 finalizer). */
export function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
