// ScalarKernels: the plain-TypeScript oracle for every kernel. Readable, f64-accumulating,
// never benchmarked. Its packed layouts are deliberately simple (row-major, one scale per block):
//   f32: [N, K] f32            f16: [N, K] u16 (f16 bits)
//   q8:  [N, K/32] blocks of { f32 scale (an f16 value), 32 × i8 }            = 36 bytes
//   q4:  [N, K/32] blocks of { f32 scale (an f16 value), 32 × u8 nibble 0..15 } = 36 bytes
import { f16ToF32, f32ToF16, roundToF16 } from '../../gguf/f16.js';
import { MemoryViews } from '../../runtime/memory.js';
import { TILED_ATTENTION_KEY_TILE, usesTiledAttention } from '../attention-path.js';
import type { AttentionParams, Kernels, KVType, PackedWeight, PackSource, RopeParams, SegmentAttentionParams, WeightFormat } from '../types.js';
import { geluLlamaCpp } from '../gelu-table.js';
import { quantizeBlockQ4Ref, quantizeBlockQ8Act, quantizeBlockQ8Ref } from './quant.js';

const QBLOCK = 32;
const QBYTES = 36;
const fr = Math.fround;

export class ScalarKernels implements Kernels {
  readonly name = 'scalar';
  private readonly v: MemoryViews;

  constructor(readonly memory: WebAssembly.Memory) {
    this.v = new MemoryViews(memory);
  }

  packedSize(format: WeightFormat, rows: number, cols: number): number {
    switch (format) {
      case 'f32': return rows * cols * 4;
      case 'f16': return rows * cols * 2;
      case 'q8': case 'q4': return rows * (cols / QBLOCK) * QBYTES;
    }
  }

  pack(format: WeightFormat, source: PackSource, srcPtr: number, rows: number, cols: number, dstPtr: number): PackedWeight {
    if ((format === 'q8' || format === 'q4') && cols % QBLOCK !== 0) {
      throw new Error(`cannot pack a ${rows}×${cols} matrix as ${format}: row length must be a multiple of 32`);
    }
    const n = rows * cols;
    const { f32, u16, i8, u8 } = this.v;
    const dv = new DataView(this.memory.buffer);
    const w: PackedWeight = { format, rows, cols, ptr: dstPtr, bytes: this.packedSize(format, rows, cols) };
    const key = `${source}->${format}`;
    switch (key) {
      case 'f32->f32': f32.copyWithin(dstPtr >> 2, srcPtr >> 2, (srcPtr >> 2) + n); return w;
      case 'f16->f32': for (let i = 0; i < n; i++) f32[(dstPtr >> 2) + i] = f16ToF32(u16[(srcPtr >> 1) + i]); return w;
      case 'f16->f16': u16.copyWithin(dstPtr >> 1, srcPtr >> 1, (srcPtr >> 1) + n); return w;
      case 'f32->f16': for (let i = 0; i < n; i++) u16[(dstPtr >> 1) + i] = f32ToF16(f32[(srcPtr >> 2) + i]); return w;
      case 'f32->q8': case 'f32->q4': {
        const src = f32.slice(srcPtr >> 2, (srcPtr >> 2) + n); // copy: src and dst may overlap
        for (let b = 0; b < n / QBLOCK; b++) {
          const o = dstPtr + b * QBYTES;
          const d = format === 'q8'
            ? quantizeBlockQ8Ref(src, b * QBLOCK, i8, o + 4)
            : quantizeBlockQ4Ref(src, b * QBLOCK, u8, o + 4);
          dv.setFloat32(o, d, true);
        }
        return w;
      }
      case 'q8_0->q8': {
        const src = u8.slice(srcPtr, srcPtr + (n / QBLOCK) * 34);
        const sv = new DataView(src.buffer);
        for (let b = 0; b < n / QBLOCK; b++) {
          const o = dstPtr + b * QBYTES;
          dv.setFloat32(o, f16ToF32(sv.getUint16(b * 34, true)), true);
          for (let j = 0; j < QBLOCK; j++) i8[o + 4 + j] = (src[b * 34 + 2 + j] << 24) >> 24;
        }
        return w;
      }
      case 'q4_0->q4': {
        const src = u8.slice(srcPtr, srcPtr + (n / QBLOCK) * 18);
        const sv = new DataView(src.buffer);
        for (let b = 0; b < n / QBLOCK; b++) {
          const o = dstPtr + b * QBYTES;
          dv.setFloat32(o, f16ToF32(sv.getUint16(b * 18, true)), true);
          for (let j = 0; j < 16; j++) {
            const byte = src[b * 18 + 2 + j];
            u8[o + 4 + j] = byte & 0x0f;
            u8[o + 4 + j + 16] = byte >> 4;
          }
        }
        return w;
      }
      default:
        throw new Error(`cannot pack ${source} data as ${format}`);
    }
  }

  /** Dequantized row `r` of a packed weight. */
  private row(w: PackedWeight, r: number): Float64Array {
    const out = new Float64Array(w.cols);
    const { f32, u16, i8, u8 } = this.v;
    switch (w.format) {
      case 'f32': for (let k = 0; k < w.cols; k++) out[k] = f32[(w.ptr >> 2) + r * w.cols + k]; break;
      case 'f16': for (let k = 0; k < w.cols; k++) out[k] = f16ToF32(u16[(w.ptr >> 1) + r * w.cols + k]); break;
      case 'q8': case 'q4': {
        const nb = w.cols / QBLOCK;
        for (let b = 0; b < nb; b++) {
          const o = w.ptr + (r * nb + b) * QBYTES;
          const d = f32[o >> 2];
          for (let j = 0; j < QBLOCK; j++) {
            const q = w.format === 'q8' ? i8[o + 4 + j] : u8[o + 4 + j] - 8;
            out[b * QBLOCK + j] = fr(q * d);
          }
        }
      }
    }
    return out;
  }

  matmulMany(ws: readonly PackedWeight[], xPtr: number, yPtrs: readonly number[], nTokens: number): void {
    if (ws.length !== yPtrs.length) throw new Error(`matmulMany: ${ws.length} weights but ${yPtrs.length} outputs`);
    ws.forEach((w, i) => this.matmul(w, xPtr, yPtrs[i]!, nTokens));
  }

  matmul(w: PackedWeight, xPtr: number, yPtr: number, nTokens: number): void {
    const { f32, i8, u8 } = this.v;
    const K = w.cols;
    const N = w.rows;
    for (let t = 0; t < nTokens; t++) {
      const x = f32.slice((xPtr >> 2) + t * K, (xPtr >> 2) + (t + 1) * K);
      const yOff = (yPtr >> 2) + t * N;
      if (w.format === 'q8' || w.format === 'q4') {
        // Activations → Q8_0 blocks, then integer block dots scaled by d_w * d_x.
        const nb = K / QBLOCK;
        const qx = new Int8Array(K);
        const dx = new Float64Array(nb);
        for (let b = 0; b < nb; b++) dx[b] = quantizeBlockQ8Act(x, b * QBLOCK, qx, b * QBLOCK);
        for (let n = 0; n < N; n++) {
          let acc = 0;
          for (let b = 0; b < nb; b++) {
            const o = w.ptr + (n * nb + b) * QBYTES;
            const dw = f32[o >> 2];
            let isum = 0;
            for (let j = 0; j < QBLOCK; j++) {
              const qw = w.format === 'q8' ? i8[o + 4 + j] : u8[o + 4 + j] - 8;
              isum += qw * qx[b * QBLOCK + j];
            }
            acc += isum * fr(dw * dx[b]);
          }
          f32[yOff + n] = acc;
        }
      } else {
        if (w.format === 'f16') for (let k = 0; k < K; k++) x[k] = roundToF16(x[k]);
        for (let n = 0; n < N; n++) {
          const row = this.row(w, n);
          let acc = 0;
          for (let k = 0; k < K; k++) acc += row[k] * x[k];
          f32[yOff + n] = acc;
        }
      }
    }
  }

  embed(w: PackedWeight, idsPtr: number, nTokens: number, outPtr: number): void {
    const { f32, i32 } = this.v;
    for (let t = 0; t < nTokens; t++) {
      const id = i32[(idsPtr >> 2) + t];
      if (id < 0 || id >= w.rows) throw new Error(`token id ${id} out of range [0, ${w.rows})`);
      f32.set(this.row(w, id), (outPtr >> 2) + t * w.cols);
    }
  }

  rmsnorm(xPtr: number, weightPtr: number, outPtr: number, nTokens: number, dim: number, eps: number): void {
    const { f32 } = this.v;
    for (let t = 0; t < nTokens; t++) {
      const xo = (xPtr >> 2) + t * dim;
      const oo = (outPtr >> 2) + t * dim;
      // As ggml: f32 squares summed in double; mean, +eps, sqrt and 1/x each rounded to f32.
      let ss = 0;
      for (let i = 0; i < dim; i++) ss += fr(f32[xo + i] * f32[xo + i]);
      const scale = fr(1 / fr(Math.sqrt(fr(fr(ss / dim) + eps))));
      for (let i = 0; i < dim; i++) {
        const v = fr(f32[xo + i] * scale);
        f32[oo + i] = weightPtr ? v * f32[(weightPtr >> 2) + i] : v;
      }
    }
  }

  rope(p: RopeParams): void {
    const { f32, i32 } = this.v;
    const half = p.nRot / 2;
    const thetaScale = fr(Math.pow(p.freqBase, fr(-2 / p.nRot))); // powf(base, -2.0f/n_dims) as ggml
    for (let t = 0; t < p.nTokens; t++) {
      const pos = i32[(p.posPtr >> 2) + t];
      // Angles by repeated multiplication in f32, as ggml's rope cache does.
      const cos = new Float64Array(half);
      const sin = new Float64Array(half);
      let theta = fr(pos);
      for (let i = 0; i < half; i++) {
        const ff = p.freqFactorsPtr ? f32[(p.freqFactorsPtr >> 2) + i] : 1;
        const a = fr(fr(theta / ff) * p.freqScale);
        cos[i] = fr(Math.cos(a));
        sin[i] = fr(Math.sin(a));
        theta = fr(theta * thetaScale);
      }
      for (let h = 0; h < p.nHeads; h++) {
        const base = (p.xPtr >> 2) + (t * p.nHeads + h) * p.headDim;
        for (let i = 0; i < half; i++) {
          const i0 = p.neox ? base + i : base + 2 * i;
          const i1 = p.neox ? base + i + half : base + 2 * i + 1;
          const x0 = f32[i0];
          const x1 = f32[i1];
          f32[i0] = x0 * cos[i] - x1 * sin[i];
          f32[i1] = x0 * sin[i] + x1 * cos[i];
        }
      }
    }
  }

  kvStore(srcPtr: number, nTokens: number, rowDim: number, cachePtr: number, kvType: KVType, row0: number): void {
    const { f32, u16 } = this.v;
    const n = nTokens * rowDim;
    if (kvType === 'f32') {
      f32.copyWithin((cachePtr >> 2) + row0 * rowDim, srcPtr >> 2, (srcPtr >> 2) + n);
    } else {
      const o = (cachePtr >> 1) + row0 * rowDim;
      for (let i = 0; i < n; i++) u16[o + i] = f32ToF16(f32[(srcPtr >> 2) + i]);
    }
  }

  storeAndAttend(p: SegmentAttentionParams): void {
    for (const seg of p.segments) {
      const kRow = p.nKvHeads * p.headDim;
      this.kvStore(p.kPtr + seg.row * kRow * 4, seg.nTokens, kRow, seg.kCachePtr, p.kvType, seg.pos0);
      this.kvStore(p.vPtr + seg.row * kRow * 4, seg.nTokens, kRow, seg.vCachePtr, p.kvType, seg.pos0);
      const qRow = p.nHeads * p.headDim;
      this.attention({
        qPtr: p.qPtr + seg.row * qRow * 4, kCachePtr: seg.kCachePtr, vCachePtr: seg.vCachePtr, outPtr: p.outPtr + seg.row * qRow * 4,
        nTokens: seg.nTokens, pos0: seg.pos0, nHeads: p.nHeads, nKvHeads: p.nKvHeads, headDim: p.headDim,
        kvType: p.kvType, scale: p.scale, softcap: p.softcap, window: p.window,
      });
    }
  }

  attention(p: AttentionParams): void {
    const D = p.headDim;
    const group = p.nHeads / p.nKvHeads;
    const kvRow = p.nKvHeads * D;
    for (let t = 0; t < p.nTokens; t++) {
      const pos = p.pos0 + t;
      const lo = p.window > 0 ? Math.max(0, pos - p.window + 1) : 0;
      for (let h = 0; h < p.nHeads; h++) {
        const g = Math.floor(h / group);
        const q = (p.qPtr >> 2) + (t * p.nHeads + h) * D;
        const o = (p.outPtr >> 2) + (t * p.nHeads + h) * D;
        const kv = { lo, hi: pos, kvRow, kvOff: g * D };
        if (p.kvType === 'f32') this.attendF32(p, q, o, kv);
        else if (usesTiledAttention(p.nTokens, D)) this.attendTiled(p, q, o, kv);
        else this.attendF16(p, q, o, kv);
      }
    }
  }

  /**
   * f16 KV: llama.cpp's CPU flash-attention numerics, mirrored so that logits agree to ~1e-4:
   * q rounded to f16; keys visited in order with an online softmax whose V accumulator is
   * rounded to f16 after every update (ggml_vec_mad_f16 / ggml_vec_scale_f16); f32 scalars.
   */
  private attendF16(p: AttentionParams, q: number, o: number, kv: { lo: number; hi: number; kvRow: number; kvOff: number }): void {
    const { f32, u16 } = this.v;
    const D = p.headDim;
    const qh = new Float64Array(D);
    for (let d = 0; d < D; d++) qh[d] = roundToF16(f32[q + d]);
    const acc = new Float64Array(D);
    let M = -Infinity;
    let S = 0;
    for (let j = kv.lo; j <= kv.hi; j++) {
      const kBase = (p.kCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
      const vBase = (p.vCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
      let s = 0;
      for (let d = 0; d < D; d++) s += qh[d] * f16ToF32(u16[kBase + d]);
      s = fr(fr(s) * p.scale);
      if (p.softcap > 0) s = fr(p.softcap * Math.tanh(s / p.softcap));
      let ms = 1;
      let vs = 1;
      if (s > M) {
        const mOld = M;
        M = s;
        ms = fr(Math.exp(mOld - M));
        for (let d = 0; d < D; d++) acc[d] = roundToF16(fr(acc[d] * ms));
      } else {
        vs = fr(Math.exp(s - M));
      }
      for (let d = 0; d < D; d++) acc[d] = roundToF16(fr(acc[d] + fr(f16ToF32(u16[vBase + d]) * vs)));
      S = fr(fr(S * ms) + vs);
    }
    for (let d = 0; d < D; d++) f32[o + d] = acc[d] / S;
  }

  /**
   * f16 KV where usesTiledAttention: llama.cpp's tiled flash attention
   * (ggml_compute_forward_flash_attn_ext_tiled). q stays f32; keys go in 64-key tiles aligned to
   * cache row 0; per tile the running max M moves to the tile's max (rescaling the f32
   * accumulator and sum S once), the tile's exps are summed in f64 and added to S, and
   * acc += p_j · v_j key by key in f32.
   */
  private attendTiled(p: AttentionParams, q: number, o: number, kv: { lo: number; hi: number; kvRow: number; kvOff: number }): void {
    const { f32, u16 } = this.v;
    const D = p.headDim;
    const tile = TILED_ATTENTION_KEY_TILE;
    const acc = new Float64Array(D);
    const scores = new Float64Array(tile);
    let M = -Infinity;
    let S = 0;
    for (let j0 = kv.lo - (kv.lo % tile); j0 <= kv.hi; j0 += tile) {
      const a = Math.max(j0, kv.lo);
      const b = Math.min(j0 + tile - 1, kv.hi);
      let tileMax = -Infinity;
      for (let j = a; j <= b; j++) {
        const kBase = (p.kCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
        let s = 0;
        for (let d = 0; d < D; d++) s += f32[q + d] * f16ToF32(u16[kBase + d]);
        s = fr(fr(s) * p.scale);
        if (p.softcap > 0) s = fr(p.softcap * Math.tanh(s / p.softcap));
        scores[j - a] = s;
        if (s > tileMax) tileMax = s;
      }
      const mNew = Math.max(M, tileMax);
      if (mNew > M) {
        const ms = fr(Math.exp(M - mNew));
        for (let d = 0; d < D; d++) acc[d] = fr(acc[d] * ms);
        S = fr(S * ms);
      }
      M = mNew;
      let sum = 0;
      for (let j = a; j <= b; j++) {
        const pj = fr(Math.exp(scores[j - a] - M));
        sum += pj;
        const vBase = (p.vCachePtr >> 1) + j * kv.kvRow + kv.kvOff;
        for (let d = 0; d < D; d++) acc[d] = fr(acc[d] + pj * f16ToF32(u16[vBase + d]));
      }
      S = fr(S + sum);
    }
    const inv = fr(1 / S);
    for (let d = 0; d < D; d++) f32[o + d] = acc[d] * inv;
  }

  /** f32 KV: exact two-pass softmax in f64. */
  private attendF32(p: AttentionParams, q: number, o: number, kv: { lo: number; hi: number; kvRow: number; kvOff: number }): void {
    const { f32 } = this.v;
    const D = p.headDim;
    const scores = new Float64Array(kv.hi - kv.lo + 1);
    let max = -Infinity;
    for (let j = kv.lo; j <= kv.hi; j++) {
      const kBase = (p.kCachePtr >> 2) + j * kv.kvRow + kv.kvOff;
      let s = 0;
      for (let d = 0; d < D; d++) s += f32[q + d] * f32[kBase + d];
      s *= p.scale;
      if (p.softcap > 0) s = p.softcap * Math.tanh(s / p.softcap);
      scores[j - kv.lo] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let j = 0; j < scores.length; j++) { scores[j] = Math.exp(scores[j] - max); sum += scores[j]; }
    for (let d = 0; d < D; d++) {
      let acc = 0;
      for (let j = kv.lo; j <= kv.hi; j++) acc += scores[j - kv.lo] * f32[(p.vCachePtr >> 2) + j * kv.kvRow + kv.kvOff + d];
      f32[o + d] = acc / sum;
    }
  }

  swiglu(gatePtr: number, upPtr: number, outPtr: number, n: number): void {
    const { f32 } = this.v;
    for (let i = 0; i < n; i++) {
      const g = f32[(gatePtr >> 2) + i];
      f32[(outPtr >> 2) + i] = (g / (1 + Math.exp(-g))) * f32[(upPtr >> 2) + i];
    }
  }

  geglu(gatePtr: number, upPtr: number, outPtr: number, n: number): void {
    const { f32 } = this.v;
    for (let i = 0; i < n; i++) {
      const x = f32[(gatePtr >> 2) + i];
      const g = x >= 10 ? x : geluLlamaCpp(x);
      f32[(outPtr >> 2) + i] = fr(g * f32[(upPtr >> 2) + i]);
    }
  }

  add(aPtr: number, bPtr: number, outPtr: number, n: number): void {
    const { f32 } = this.v;
    for (let i = 0; i < n; i++) f32[(outPtr >> 2) + i] = f32[(aPtr >> 2) + i] + f32[(bPtr >> 2) + i];
  }

  addBias(xPtr: number, biasPtr: number, nTokens: number, dim: number): void {
    const { f32 } = this.v;
    for (let t = 0; t < nTokens; t++) {
      for (let i = 0; i < dim; i++) f32[(xPtr >> 2) + t * dim + i] += f32[(biasPtr >> 2) + i];
    }
  }

  scale(xPtr: number, n: number, s: number): void {
    const { f32 } = this.v;
    const s32 = fr(s); // ggml_scale takes an f32 factor
    for (let i = 0; i < n; i++) f32[(xPtr >> 2) + i] *= s32;
  }

  softcap(xPtr: number, n: number, cap: number): void {
    const { f32 } = this.v;
    for (let i = 0; i < n; i++) f32[(xPtr >> 2) + i] = cap * Math.tanh(f32[(xPtr >> 2) + i] / cap);
  }

  async dispose(): Promise<void> {}
}
