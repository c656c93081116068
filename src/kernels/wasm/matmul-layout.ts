// The WASM backend's packed weight layout (the kernels' side is kernels/matmul_common.ts):
// rows in panels of PANEL = 4, the last one zero-padded, panels stored one after another.
//   f32: per column k: 4 rows' f32                                   16 B / column
//   f16: as f32, holding f16 values (widened at load: the f32 kernels then run over f16-rounded
//        activations; these matrices are small — rows not a multiple of 32 in q8/q4 mode)
//   q8 : per 32-block: 8 groups × 16 B quants, then 4 f32 row scales  144 B / block;
//        group j, byte 4r+i = row r element 4j+i
//   q4 : per 32-block: 4 groups × 16 B nibbles, then 4 f32 row scales  80 B / block;
//        group j, byte 4r+i = GGUF Q4_0 byte 4j+i of row r (low nibble element 4j+i, high 16+4j+i)
import type { WeightFormat } from '../types.js';

export const PANEL = 4;
export const QK = 32;
export const Q8_PANEL_BLOCK = 144;
export const Q4_PANEL_BLOCK = 80;

/** Bytes of one 4-row panel of a K-column matrix. */
export function panelBytes(format: WeightFormat, cols: number): number {
  switch (format) {
    case 'f32':
    case 'f16': return cols * 16;
    case 'q8': return (cols / QK) * Q8_PANEL_BLOCK;
    case 'q4': return (cols / QK) * Q4_PANEL_BLOCK;
  }
}

/** Byte offset (from the weight's start) of panel p's block / column data for row r's panel. */
export function panelOffset(format: WeightFormat, cols: number, row: number): number {
  return Math.floor(row / PANEL) * panelBytes(format, cols);
}

/** f32 element index of (row, col) in an f32- or f16-packed weight starting at f32 index 0. */
export function f32Index(cols: number, row: number, col: number): number {
  return (Math.floor(row / PANEL) * cols + col) * PANEL + (row % PANEL);
}

/** Byte offset of element e (0..31) of row r in a q8 panel block. */
export function q8ByteOffset(row: number, e: number): number {
  return (e >> 2) * 16 + (row % PANEL) * 4 + (e & 3);
}

/** Byte offset of the 4 bytes GGUF Q4_0 qs[4j..4j+3] of row r in a q4 panel block. */
export function q4GroupOffset(row: number, j: number): number {
  return j * 16 + (row % PANEL) * 4;
}
