// GGUF reader: header, metadata, tensor infos. Tensor data is not read here;
// see readTensorBytes(), which reads straight into a caller-provided view (e.g. WASM memory).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  GGML_BLOCK, GGMLType, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUFError, GGUFValueType, ggmlTypeName,
  type GGUFFile, type GGUFTensorInfo, type GGUFValue,
} from './types.js';

const CHUNK = 1 << 20;

/** Sequential little-endian reader over a file descriptor, buffered in 1 MiB chunks. */
class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0; // file offset of buf[0]
  pos = 0;
  constructor(private fd: number, readonly fileSize: number, private path: string) {}

  private need(n: number, what: string): number {
    if (this.pos + n > this.fileSize) {
      throw new GGUFError(`${this.path}: truncated GGUF file: reading ${what} needs ${n} bytes at offset ${this.pos}, but the file is ${this.fileSize} bytes`);
    }
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.buf.length) return rel;
    const size = Math.min(Math.max(CHUNK, n), this.fileSize - this.pos);
    const b = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const r = readSync(this.fd, b, got, size - got, this.pos + got);
      if (r === 0) break;
      got += r;
    }
    this.buf = b.subarray(0, got);
    this.bufStart = this.pos;
    if (got < n) throw new GGUFError(`${this.path}: truncated GGUF file at offset ${this.pos}`);
    return 0;
  }
  u8(what = 'u8'): number { const o = this.need(1, what); this.pos += 1; return this.buf.readUInt8(o); }
  i8(): number { const o = this.need(1, 'i8'); this.pos += 1; return this.buf.readInt8(o); }
  u16(): number { const o = this.need(2, 'u16'); this.pos += 2; return this.buf.readUInt16LE(o); }
  i16(): number { const o = this.need(2, 'i16'); this.pos += 2; return this.buf.readInt16LE(o); }
  u32(what = 'u32'): number { const o = this.need(4, what); this.pos += 4; return this.buf.readUInt32LE(o); }
  i32(): number { const o = this.need(4, 'i32'); this.pos += 4; return this.buf.readInt32LE(o); }
  f32(): number { const o = this.need(4, 'f32'); this.pos += 4; return this.buf.readFloatLE(o); }
  f64(): number { const o = this.need(8, 'f64'); this.pos += 8; return this.buf.readDoubleLE(o); }
  u64big(what = 'u64'): bigint { const o = this.need(8, what); this.pos += 8; return this.buf.readBigUInt64LE(o); }
  i64big(): bigint { const o = this.need(8, 'i64'); this.pos += 8; return this.buf.readBigInt64LE(o); }
  /** A u64 count or size that must fit a JS number and stay below `limit`. */
  count(what: string, limit: number): number {
    const v = this.u64big(what);
    if (v > BigInt(limit)) {
      throw new GGUFError(`${this.path}: truncated or corrupt GGUF: ${what} is ${v} at offset ${this.pos - 8}, more than the ${limit} the file can hold`);
    }
    return Number(v);
  }
  bytes(n: number, what: string): Buffer {
    if (n <= CHUNK) { const o = this.need(n, what); this.pos += n; return this.buf.subarray(o, o + n); }
    if (this.pos + n > this.fileSize) this.need(n, what); // throws a truncation error
    const b = Buffer.alloc(n);
    readSync(this.fd, b, 0, n, this.pos);
    this.pos += n;
    return b;
  }
}

export interface ReadOptions {
  /** Keep large arrays (tokens, merges) — default true. `info` can skip them for speed. */
  readArrays?: boolean;
}

/** Parse a GGUF file's header, metadata and tensor infos. Throws GGUFError on anything malformed. */
export function readGGUF(path: string, _opts: ReadOptions = {}): GGUFFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new GGUFError(`model file not found: ${path}`);
    if (err.code === 'EISDIR') throw new GGUFError(`${path} is a directory, not a GGUF file`);
    throw new GGUFError(`cannot open ${path}: ${err.message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new GGUFError(`${path} is a directory, not a GGUF file`);
    return parse(new FileCursor(fd, st.size, path), path);
  } finally {
    closeSync(fd);
  }
}

function parse(c: FileCursor, path: string): GGUFFile {
  if (c.fileSize < 4) throw new GGUFError(`${path}: not a GGUF file (only ${c.fileSize} bytes)`);
  const magic = c.u32('magic');
  if (magic !== GGUF_MAGIC) {
    const shown = Buffer.alloc(4); shown.writeUInt32LE(magic);
    throw new GGUFError(`${path}: not a GGUF file (magic is ${JSON.stringify(shown.toString('latin1'))}, expected "GGUF")`);
  }
  const version = c.u32('version');
  if (version === 1) throw new GGUFError(`${path}: GGUF version 1 is not supported (llama.cpp dropped it too); re-convert the model with a current llama.cpp`);
  if (version !== 2 && version !== 3) throw new GGUFError(`${path}: unsupported GGUF version ${version} (supported: 2, 3)`);

  // Every tensor info and key-value pair takes at least 8 bytes, which bounds sane counts.
  const nTensors = c.count('tensor count', Math.floor(c.fileSize / 8));
  const nKV = c.count('metadata count', Math.floor(c.fileSize / 8));

  const metadata = new Map<string, GGUFValue>();
  const metadataTypes = new Map<string, { type: GGUFValueType; elemType?: GGUFValueType }>();
  for (let i = 0; i < nKV; i++) {
    const key = readString(c, `metadata key #${i}`);
    const type = c.u32(`type of ${key}`) as GGUFValueType;
    if (type === GGUFValueType.ARRAY) {
      const elemType = c.u32(`element type of ${key}`) as GGUFValueType;
      metadataTypes.set(key, { type, elemType });
      metadata.set(key, readArray(c, elemType, key));
    } else {
      metadataTypes.set(key, { type });
      metadata.set(key, readValue(c, type, key));
    }
  }

  const alignmentValue = metadata.get('general.alignment');
  const alignment = alignmentValue === undefined ? GGUF_DEFAULT_ALIGNMENT : Number(alignmentValue);
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GGUFError(`${path}: corrupt GGUF: general.alignment = ${String(alignmentValue)} is not a power of two`);
  }

  const infos: Omit<GGUFTensorInfo, 'fileOffset'>[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = readString(c, `tensor name #${i}`);
    const nDims = c.u32(`dimension count of ${name}`);
    if (nDims < 1 || nDims > 4) throw new GGUFError(`${path}: corrupt GGUF: tensor ${name} has ${nDims} dimensions (1 to 4 allowed)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.count(`dimension ${d} of ${name}`, Number.MAX_SAFE_INTEGER));
    const type = c.u32(`type of ${name}`) as GGMLType;
    const offset = c.count(`offset of ${name}`, Number.MAX_SAFE_INTEGER);
    const block = GGML_BLOCK[type];
    if (!block) {
      throw new GGUFError(`${path}: tensor ${name} has type ${ggmlTypeName(type)}, which tsllama does not support`);
    }
    const nElements = dims.reduce((a, b) => a * b, 1);
    if (dims[0] % block.blockSize !== 0) {
      throw new GGUFError(`${path}: corrupt GGUF: tensor ${name} row length ${dims[0]} is not a multiple of the ${ggmlTypeName(type)} block size ${block.blockSize}`);
    }
    const nBytes = (nElements / block.blockSize) * block.typeSize;
    infos.push({ name, dims, type, offset, nElements, nBytes });
  }

  const dataOffset = alignUp(c.pos, alignment);
  const tensors: GGUFTensorInfo[] = infos.map((t) => {
    const fileOffset = dataOffset + t.offset;
    if (t.offset % alignment !== 0) {
      throw new GGUFError(`${path}: corrupt GGUF: tensor ${t.name} data offset ${t.offset} is not aligned to ${alignment}`);
    }
    if (fileOffset + t.nBytes > c.fileSize) {
      throw new GGUFError(`${path}: truncated or corrupt GGUF: tensor ${t.name} (${t.nBytes} bytes at offset ${fileOffset}) ends past the end of the file (${c.fileSize} bytes)`);
    }
    return { ...t, fileOffset };
  });

  return { path, version, fileSize: c.fileSize, alignment, dataOffset, metadata, metadataTypes, tensors };
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function readString(c: FileCursor, what: string): string {
  const len = c.count(`length of ${what}`, c.fileSize);
  return c.bytes(len, what).toString('utf8');
}

/** Arrays nest at most this deep; a corrupt file could otherwise recurse until the stack overflows. */
const MAX_ARRAY_DEPTH = 8;

function readValue(c: FileCursor, type: GGUFValueType, key: string, depth = 0): GGUFValue {
  switch (type) {
    case GGUFValueType.UINT8: return c.u8();
    case GGUFValueType.INT8: return c.i8();
    case GGUFValueType.UINT16: return c.u16();
    case GGUFValueType.INT16: return c.i16();
    case GGUFValueType.UINT32: return c.u32();
    case GGUFValueType.INT32: return c.i32();
    case GGUFValueType.FLOAT32: return c.f32();
    case GGUFValueType.BOOL: return c.u8() !== 0;
    case GGUFValueType.STRING: return readString(c, `value of ${key}`);
    case GGUFValueType.UINT64: return narrow(c.u64big());
    case GGUFValueType.INT64: return narrow(c.i64big());
    case GGUFValueType.FLOAT64: return c.f64();
    case GGUFValueType.ARRAY: {
      if (depth >= MAX_ARRAY_DEPTH) throw new GGUFError(`${c['path']}: corrupt GGUF: metadata ${key} nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
      const elemType = c.u32(`element type in ${key}`) as GGUFValueType;
      return readArray(c, elemType, key, depth + 1);
    }
    default:
      throw new GGUFError(`${c['path']}: corrupt GGUF: metadata ${key} has unknown value type ${type as number} at offset ${c.pos - 4}`);
  }
}

/** u64/i64 values become numbers when exact, else stay bigint. */
function narrow(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

const TYPED: Partial<Record<GGUFValueType, { size: number; make: (b: ArrayBuffer) => GGUFValue }>> = {
  [GGUFValueType.UINT8]: { size: 1, make: (b) => new Uint8Array(b) },
  [GGUFValueType.INT8]: { size: 1, make: (b) => new Int8Array(b) },
  [GGUFValueType.UINT16]: { size: 2, make: (b) => new Uint16Array(b) },
  [GGUFValueType.INT16]: { size: 2, make: (b) => new Int16Array(b) },
  [GGUFValueType.UINT32]: { size: 4, make: (b) => new Uint32Array(b) },
  [GGUFValueType.INT32]: { size: 4, make: (b) => new Int32Array(b) },
  [GGUFValueType.FLOAT32]: { size: 4, make: (b) => new Float32Array(b) },
  [GGUFValueType.FLOAT64]: { size: 8, make: (b) => new Float64Array(b) },
};

/** Fewest bytes one element of each non-numeric array type takes (a string is at least its u64 length). */
const MIN_ELEMENT_BYTES: Partial<Record<GGUFValueType, number>> = {
  [GGUFValueType.BOOL]: 1, [GGUFValueType.STRING]: 8, [GGUFValueType.UINT64]: 8, [GGUFValueType.INT64]: 8,
  [GGUFValueType.ARRAY]: 12,
};

function readArray(c: FileCursor, elemType: GGUFValueType, key: string, depth = 0): GGUFValue {
  const typed = TYPED[elemType];
  // Bound the count by what the rest of the file can hold, so a corrupt length never allocates.
  const minBytes = typed?.size ?? MIN_ELEMENT_BYTES[elemType] ?? 1;
  const n = c.count(`length of array ${key}`, Math.floor((c.fileSize - c.pos - 8) / minBytes));
  if (typed) {
    const bytes = c.bytes(n * typed.size, `array ${key}`);
    const copy = new ArrayBuffer(n * typed.size);
    new Uint8Array(copy).set(bytes); // copy keeps alignment and detaches from the read buffer
    return typed.make(copy);
  }
  const out: GGUFValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(c, elemType, key, depth);
  return out;
}

/** Read one tensor's raw bytes into `dest` (any view: a Buffer, or a Uint8Array over WASM memory). */
export function readTensorBytes(file: GGUFFile, tensor: GGUFTensorInfo, dest: Uint8Array, fd?: number): void {
  if (dest.byteLength < tensor.nBytes) throw new Error(`readTensorBytes: destination too small for ${tensor.name}`);
  const ownFd = fd === undefined;
  const handle = fd ?? openSync(file.path, 'r');
  try {
    let got = 0;
    while (got < tensor.nBytes) {
      const n = Math.min(tensor.nBytes - got, 1 << 30);
      const r = readSync(handle, dest, got, n, tensor.fileOffset + got);
      if (r === 0) throw new GGUFError(`${file.path}: truncated GGUF: tensor ${tensor.name} data ends early at byte ${tensor.fileOffset + got}`);
      got += r;
    }
  } finally {
    if (ownFd) closeSync(handle);
  }
}

/** Typed metadata accessors with clear errors. */
export function metaNumber(file: GGUFFile, key: string, fallback?: number): number {
  const v = file.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new GGUFError(`${file.path}: missing metadata key ${key}`);
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new GGUFError(`${file.path}: metadata ${key} should be a number, found ${typeof v}`);
}

export function metaString(file: GGUFFile, key: string, fallback?: string): string {
  const v = file.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new GGUFError(`${file.path}: missing metadata key ${key}`);
  }
  if (typeof v !== 'string') throw new GGUFError(`${file.path}: metadata ${key} should be a string`);
  return v;
}

export function metaBool(file: GGUFFile, key: string, fallback: boolean): boolean {
  const v = file.metadata.get(key);
  if (v === undefined) return fallback;
  return Boolean(v);
}

export { GGMLType };
