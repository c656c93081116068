// Dequantizers for ggml's 32-element "legacy" block types (ggml-common.h, ggml-quants.c dequantize_row_*).
// Each reads `nBlocks` consecutive blocks from `src` (block 0 at src[0]) and writes 32 floats per block.
//
// Block layouts (little-endian, f16 = IEEE half):
//   Q4_0 (18 B): d f16 | qs[16]           x[j] = (lo(qs[j]) - 8)·d, x[j+16] = (hi(qs[j]) - 8)·d
//   Q4_1 (20 B): d f16 | m f16 | qs[16]   x = q·d + m
//   Q5_0 (22 B): d f16 | qh u32 | qs[16]  5th bit of x[j] is bit j of qh, of x[j+16] bit j+16; x = (q - 16)·d
//   Q5_1 (24 B): d f16 | m f16 | qh u32 | qs[16]   x = q·d + m
//   Q8_0 (34 B): d f16 | qs[32] int8      x = q·d
import { f16Table } from './f16.js';

const QK = 32;

function half(src: Uint8Array, o: number, table: Float32Array): number {
  return table[src[o] | (src[o + 1] << 8)];
}

function u32(src: Uint8Array, o: number): number {
  return (src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24)) >>> 0;
}

export function dequantQ4_0(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 18;
    const d = half(src, o, t);
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j];
      out[y + j] = ((q & 0x0f) - 8) * d;
      out[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

export function dequantQ4_1(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 20;
    const d = half(src, o, t);
    const m = half(src, o + 2, t);
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j];
      out[y + j] = (q & 0x0f) * d + m;
      out[y + j + 16] = (q >> 4) * d + m;
    }
  }
}

export function dequantQ5_0(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 22;
    const d = half(src, o, t);
    const qh = u32(src, o + 2);
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j];
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[y + j] = (((q & 0x0f) | h0) - 16) * d;
      out[y + j + 16] = (((q >> 4) | h1) - 16) * d;
    }
  }
}

export function dequantQ5_1(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 24;
    const d = half(src, o, t);
    const m = half(src, o + 2, t);
    const qh = u32(src, o + 4);
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j];
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[y + j] = ((q & 0x0f) | h0) * d + m;
      out[y + j + 16] = ((q >> 4) | h1) * d + m;
    }
  }
}

export function dequantQ8_0(src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let b = 0; b < nBlocks; b++) {
    const o = b * 34;
    const d = half(src, o, t);
    const y = outOffset + b * QK;
    for (let j = 0; j < QK; j++) {
      out[y + j] = ((src[o + 2 + j] << 24) >> 24) * d; // int8
    }
  }
}
