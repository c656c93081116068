// GGUF container types and the ggml tensor type table.
// Spec: ggml/docs/gguf.md. Block layouts live in dequant.ts.

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types as stored in the file. */
export enum GGUFValueType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/** ggml tensor element types (ggml.h `enum ggml_type`). */
export enum GGMLType {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
}

/** Elements per block and bytes per block for each type we know the size of. */
export const GGML_BLOCK: Partial<Record<GGMLType, { blockSize: number; typeSize: number }>> = {
  [GGMLType.F32]: { blockSize: 1, typeSize: 4 },
  [GGMLType.F16]: { blockSize: 1, typeSize: 2 },
  [GGMLType.BF16]: { blockSize: 1, typeSize: 2 },
  [GGMLType.F64]: { blockSize: 1, typeSize: 8 },
  [GGMLType.I8]: { blockSize: 1, typeSize: 1 },
  [GGMLType.I16]: { blockSize: 1, typeSize: 2 },
  [GGMLType.I32]: { blockSize: 1, typeSize: 4 },
  [GGMLType.I64]: { blockSize: 1, typeSize: 8 },
  [GGMLType.Q4_0]: { blockSize: 32, typeSize: 18 },
  [GGMLType.Q4_1]: { blockSize: 32, typeSize: 20 },
  [GGMLType.Q5_0]: { blockSize: 32, typeSize: 22 },
  [GGMLType.Q5_1]: { blockSize: 32, typeSize: 24 },
  [GGMLType.Q8_0]: { blockSize: 32, typeSize: 34 },
  [GGMLType.Q8_1]: { blockSize: 32, typeSize: 36 },
  [GGMLType.Q2_K]: { blockSize: 256, typeSize: 84 },
  [GGMLType.Q3_K]: { blockSize: 256, typeSize: 110 },
  [GGMLType.Q4_K]: { blockSize: 256, typeSize: 144 },
  [GGMLType.Q5_K]: { blockSize: 256, typeSize: 176 },
  [GGMLType.Q6_K]: { blockSize: 256, typeSize: 210 },
  [GGMLType.Q8_K]: { blockSize: 256, typeSize: 292 },
  [GGMLType.IQ4_NL]: { blockSize: 32, typeSize: 18 },
  [GGMLType.IQ4_XS]: { blockSize: 256, typeSize: 136 },
};

export function ggmlTypeName(type: number): string {
  return GGMLType[type] ?? `unknown(${type})`;
}

export type GGUFScalar = number | bigint | boolean | string;
export type GGUFValue = GGUFScalar | GGUFValue[] | GGUFTypedArray;
/** Large numeric arrays (token scores, token types) are kept as typed arrays. */
export type GGUFTypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Float64Array;

export interface GGUFTensorInfo {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (row length), e.g. [n_embd, n_vocab] for token_embd. */
  dims: number[];
  type: GGMLType;
  /** Offset relative to the start of the data section. */
  offset: number;
  /** Absolute offset in the file. */
  fileOffset: number;
  nElements: number;
  nBytes: number;
}

export interface GGUFFile {
  path: string;
  version: number;
  fileSize: number;
  alignment: number;
  dataOffset: number;
  metadata: Map<string, GGUFValue>;
  /** The stored value type of each key (kept so a file can be written back unchanged). */
  metadataTypes: Map<string, { type: GGUFValueType; elemType?: GGUFValueType }>;
  tensors: GGUFTensorInfo[];
}

/** A GGUF problem a user can act on: bad magic, truncation, unknown type... */
export class GGUFError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GGUFError';
  }
}
