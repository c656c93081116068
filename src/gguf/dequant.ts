// Dequantization of any supported ggml tensor type to f32.
// Float types are handled here; block layouts live in dequant-legacy.ts (32-wide) and dequant-kquants.ts (256-wide).
import { dequantQ4_0, dequantQ4_1, dequantQ5_0, dequantQ5_1, dequantQ8_0 } from './dequant-legacy.js';
import { dequantQ2_K, dequantQ3_K, dequantQ4_K, dequantQ5_K, dequantQ6_K, dequantQ8_K } from './dequant-kquants.js';
import { f16Table, bf16ToF32 } from './f16.js';
import { GGML_BLOCK, GGMLType, GGUFError, ggmlTypeName } from './types.js';

type BlockDequantizer = (src: Uint8Array, nBlocks: number, out: Float32Array, outOffset: number) => void;

function dequantF32(src: Uint8Array, n: number, out: Float32Array, outOffset: number): void {
  if (src.byteOffset % 4 === 0) {
    out.set(new Float32Array(src.buffer, src.byteOffset, n), outOffset);
  } else {
    const view = new DataView(src.buffer, src.byteOffset, n * 4);
    for (let i = 0; i < n; i++) out[outOffset + i] = view.getFloat32(i * 4, true);
  }
}

function dequantF16(src: Uint8Array, n: number, out: Float32Array, outOffset: number): void {
  const t = f16Table();
  for (let i = 0; i < n; i++) out[outOffset + i] = t[src[2 * i] | (src[2 * i + 1] << 8)];
}

function dequantBF16(src: Uint8Array, n: number, out: Float32Array, outOffset: number): void {
  for (let i = 0; i < n; i++) out[outOffset + i] = bf16ToF32(src[2 * i] | (src[2 * i + 1] << 8));
}

const DEQUANTIZERS: Partial<Record<GGMLType, BlockDequantizer>> = {
  [GGMLType.F32]: dequantF32,
  [GGMLType.F16]: dequantF16,
  [GGMLType.BF16]: dequantBF16,
  [GGMLType.Q4_0]: dequantQ4_0,
  [GGMLType.Q4_1]: dequantQ4_1,
  [GGMLType.Q5_0]: dequantQ5_0,
  [GGMLType.Q5_1]: dequantQ5_1,
  [GGMLType.Q8_0]: dequantQ8_0,
  [GGMLType.Q2_K]: dequantQ2_K,
  [GGMLType.Q3_K]: dequantQ3_K,
  [GGMLType.Q4_K]: dequantQ4_K,
  [GGMLType.Q5_K]: dequantQ5_K,
  [GGMLType.Q6_K]: dequantQ6_K,
  [GGMLType.Q8_K]: dequantQ8_K,
};

/** True if dequantize() handles this type. */
export function canDequantize(type: GGMLType): boolean {
  return DEQUANTIZERS[type] !== undefined;
}

/** Bytes taken by `nElements` values of `type` (nElements must be a whole number of blocks). */
export function typeBytes(type: GGMLType, nElements: number): number {
  const block = blockOf(type);
  if (nElements % block.blockSize !== 0) {
    throw new GGUFError(`${nElements} elements is not a whole number of ${ggmlTypeName(type)} blocks (${block.blockSize} each)`);
  }
  return (nElements / block.blockSize) * block.typeSize;
}

function blockOf(type: GGMLType): { blockSize: number; typeSize: number } {
  const block = GGML_BLOCK[type];
  if (!block) throw new GGUFError(`tensor type ${ggmlTypeName(type)} is not supported`);
  return block;
}

/**
 * Dequantize `nElements` values of `type` stored at the start of `src` into out[outOffset ...].
 * `nElements` must be a multiple of the type's block size.
 */
export function dequantize(type: GGMLType, src: Uint8Array, nElements: number, out: Float32Array, outOffset = 0): void {
  const fn = DEQUANTIZERS[type];
  if (!fn) throw new GGUFError(`cannot dequantize tensor type ${ggmlTypeName(type)}: not supported`);
  const bytes = typeBytes(type, nElements);
  if (src.byteLength < bytes) {
    throw new GGUFError(`dequantize ${ggmlTypeName(type)}: ${nElements} elements need ${bytes} bytes, got ${src.byteLength}`);
  }
  if (outOffset + nElements > out.length) {
    throw new RangeError(`dequantize: output holds ${out.length} floats, need ${outOffset + nElements}`);
  }
  const { blockSize } = blockOf(type);
  fn(src, nElements / blockSize, out, outOffset);
}

/**
 * Dequantize rows [rowStart, rowStart + nRows) of a 2-D tensor whose rows hold `rowLen` values each
 * (e.g. token embedding lookups). `src` holds the whole tensor; `out` receives nRows·rowLen floats.
 */
export function dequantizeRows(type: GGMLType, src: Uint8Array, rowLen: number, rowStart: number, nRows: number, out: Float32Array): void {
  const rowBytes = typeBytes(type, rowLen);
  const begin = rowStart * rowBytes;
  const end = begin + nRows * rowBytes;
  if (rowStart < 0 || end > src.byteLength) {
    throw new RangeError(`dequantizeRows: rows ${rowStart}..${rowStart + nRows - 1} lie outside the ${Math.floor(src.byteLength / rowBytes)} rows in the tensor`);
  }
  dequantize(type, src.subarray(begin, end), nRows * rowLen, out, 0);
}
