// QuantMode picks the in-memory format of each weight matrix, whatever the GGUF stores.
import { GGMLType } from '../gguf/types.js';
import type { PackSource, WeightFormat } from '../kernels/types.js';

export type QuantMode = 'fp32' | 'q8' | 'q4';
export const QUANT_MODES: readonly QuantMode[] = ['fp32', 'q8', 'q4'];

export function parseQuantMode(s: string): QuantMode {
  if ((QUANT_MODES as readonly string[]).includes(s)) return s as QuantMode;
  throw new Error(`unknown quant mode "${s}" (expected one of: ${QUANT_MODES.join(', ')})`);
}

/**
 * In-memory format for one 2-D weight:
 *  - fp32: everything f32 (the reference).
 *  - q8 / q4: the mode's block format; rows whose length is not a multiple of 32 stay f16
 *    (as llama.cpp's quantize does); a file's Q4_0 tensor stays q4 in q8 mode (no gain in widening);
 *  - q4 keeps the output matrix at q8 (as llama.cpp's quantize keeps it at higher precision), unless
 *    the file already stores it as Q4_0: then it stays q4, bit-exact, like every other Q4_0 tensor.
 */
export function chooseFormat(mode: QuantMode, source: GGMLType, cols: number, isOutput: boolean): WeightFormat {
  if (mode === 'fp32') return 'f32';
  if (cols % 32 !== 0) return 'f16';
  if (mode === 'q8') return source === GGMLType.Q4_0 ? 'q4' : 'q8';
  if (isOutput && source !== GGMLType.Q4_0) return 'q8';
  return 'q4';
}

/** The pack source a GGUF type can be handed to the kernels as directly, or null (dequantize first). */
export function directSource(source: GGMLType, format: WeightFormat): PackSource | null {
  if (source === GGMLType.F32) return 'f32';
  if (source === GGMLType.F16 && (format === 'f16' || format === 'f32')) return 'f16';
  if (source === GGMLType.Q8_0 && format === 'q8') return 'q8_0';
  if (source === GGMLType.Q4_0 && format === 'q4') return 'q4_0';
  return null;
}
