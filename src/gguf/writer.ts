// GGUF writer (v2 and v3; they share one encoding, v3 only adds the big-endian variant we never write).
// Layout: magic | version u32 | n_tensors u64 | n_kv u64 | kvs | tensor infos | pad to alignment | data,
// each tensor's data starting at an aligned offset relative to the start of the data section.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import {
  GGML_BLOCK, GGMLType, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUFError, GGUFValueType, ggmlTypeName,
  type GGUFTypedArray, type GGUFValue,
} from './types.js';

export interface GGUFWriteKV { key: string; type: GGUFValueType; elemType?: GGUFValueType; value: GGUFValue }
export interface GGUFWriteTensor { name: string; dims: number[]; type: GGMLType; data: Uint8Array }
/**
 * A tensor whose bytes are produced only when the writer reaches it, whole or as consecutive chunks,
 * so a big model never sits in memory at once.
 */
export interface GGUFLazyTensor { name: string; dims: number[]; type: GGMLType; getData: () => Uint8Array | Iterable<Uint8Array> }
export interface GGUFWriteOptions { alignment?: number; version?: 2 | 3 }

type AnyTensor = GGUFWriteTensor | GGUFLazyTensor;

/** Growable little-endian byte sink for the header. */
class ByteSink {
  private buf = Buffer.alloc(4096);
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  // room() may swap the buffer, so take the offset before touching this.buf.
  u8(v: number): void { const o = this.room(1); this.buf.writeUInt8(v, o); }
  i8(v: number): void { const o = this.room(1); this.buf.writeInt8(v, o); }
  u16(v: number): void { const o = this.room(2); this.buf.writeUInt16LE(v, o); }
  i16(v: number): void { const o = this.room(2); this.buf.writeInt16LE(v, o); }
  u32(v: number): void { const o = this.room(4); this.buf.writeUInt32LE(v, o); }
  i32(v: number): void { const o = this.room(4); this.buf.writeInt32LE(v, o); }
  f32(v: number): void { const o = this.room(4); this.buf.writeFloatLE(v, o); }
  f64(v: number): void { const o = this.room(8); this.buf.writeDoubleLE(v, o); }
  u64(v: number | bigint): void { const o = this.room(8); this.buf.writeBigUInt64LE(BigInt(v), o); }
  i64(v: number | bigint): void { const o = this.room(8); this.buf.writeBigInt64LE(BigInt(v), o); }
  bytes(b: Uint8Array): void { const o = this.room(b.length); this.buf.set(b, o); }
  string(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.bytes(b); }
  zeros(n: number): void { const o = this.room(n); this.buf.fill(0, o, this.length); }
  result(): Buffer { return this.buf.subarray(0, this.length); }
}

/** The GGUF value type that a typed array's elements have. */
function typedArrayType(v: GGUFTypedArray): GGUFValueType {
  if (v instanceof Float32Array) return GGUFValueType.FLOAT32;
  if (v instanceof Float64Array) return GGUFValueType.FLOAT64;
  if (v instanceof Int32Array) return GGUFValueType.INT32;
  if (v instanceof Uint32Array) return GGUFValueType.UINT32;
  if (v instanceof Int16Array) return GGUFValueType.INT16;
  if (v instanceof Uint16Array) return GGUFValueType.UINT16;
  if (v instanceof Int8Array) return GGUFValueType.INT8;
  return GGUFValueType.UINT8;
}

/**
 * Element type of a nested array, which GGUFWriteKV cannot spell out: typed arrays say it exactly;
 * plain arrays of strings/booleans/bigints/arrays are STRING/BOOL/INT64/ARRAY; plain numbers are
 * INT32 when all are int32, else FLOAT64 (lossless).
 */
function inferElemType(v: GGUFValue[] | GGUFTypedArray, key: string): GGUFValueType {
  if (!Array.isArray(v)) return typedArrayType(v);
  const first = v[0];
  if (first === undefined || typeof first === 'string') return GGUFValueType.STRING;
  if (typeof first === 'boolean') return GGUFValueType.BOOL;
  if (typeof first === 'bigint') return GGUFValueType.INT64;
  if (typeof first === 'number') {
    return v.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31)
      ? GGUFValueType.INT32 : GGUFValueType.FLOAT64;
  }
  if (Array.isArray(first) || ArrayBuffer.isView(first)) return GGUFValueType.ARRAY;
  throw new GGUFError(`metadata ${key}: cannot infer the element type of a nested array`);
}

function isArrayValue(v: GGUFValue): v is GGUFValue[] | GGUFTypedArray {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function writeValue(s: ByteSink, type: GGUFValueType, value: GGUFValue, key: string, elemType?: GGUFValueType): void {
  const num = (): number => {
    if (typeof value === 'number') return value;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'bigint') return Number(value);
    throw new GGUFError(`metadata ${key}: expected a number for ${GGUFValueType[type]}, got ${describe(value)}`);
  };
  switch (type) {
    case GGUFValueType.UINT8: s.u8(num()); return;
    case GGUFValueType.INT8: s.i8(num()); return;
    case GGUFValueType.UINT16: s.u16(num()); return;
    case GGUFValueType.INT16: s.i16(num()); return;
    case GGUFValueType.UINT32: s.u32(num()); return;
    case GGUFValueType.INT32: s.i32(num()); return;
    case GGUFValueType.FLOAT32: s.f32(num()); return;
    case GGUFValueType.FLOAT64: s.f64(num()); return;
    case GGUFValueType.BOOL: s.u8(value ? 1 : 0); return;
    case GGUFValueType.UINT64: s.u64(typeof value === 'bigint' ? value : num()); return;
    case GGUFValueType.INT64: s.i64(typeof value === 'bigint' ? value : num()); return;
    case GGUFValueType.STRING:
      if (typeof value !== 'string') throw new GGUFError(`metadata ${key}: expected a string, got ${describe(value)}`);
      s.string(value);
      return;
    case GGUFValueType.ARRAY: {
      if (!isArrayValue(value)) throw new GGUFError(`metadata ${key}: expected an array, got ${describe(value)}`);
      const et = elemType ?? inferElemType(value, key);
      if (et === GGUFValueType.ARRAY && elemType === undefined && value.length === 0) {
        throw new GGUFError(`metadata ${key}: empty nested array needs an explicit element type`);
      }
      s.u32(et);
      s.u64(value.length);
      for (let i = 0; i < value.length; i++) {
        const e = value[i] as GGUFValue;
        // A nested array's own element type comes from its contents.
        writeValue(s, et, e, `${key}[${i}]`);
      }
      return;
    }
    default:
      throw new GGUFError(`metadata ${key}: unknown value type ${type as number}`);
  }
}

function describe(v: GGUFValue): string {
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return `${typeof v} ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function tensorBytes(t: AnyTensor): number {
  const block = GGML_BLOCK[t.type];
  if (!block) throw new GGUFError(`tensor ${t.name}: type ${ggmlTypeName(t.type)} has no known block size`);
  if (t.dims.length < 1 || t.dims.length > 4) throw new GGUFError(`tensor ${t.name}: ${t.dims.length} dimensions (1 to 4 allowed)`);
  if (t.dims[0] % block.blockSize !== 0) {
    throw new GGUFError(`tensor ${t.name}: row length ${t.dims[0]} is not a multiple of the ${ggmlTypeName(t.type)} block size ${block.blockSize}`);
  }
  const n = t.dims.reduce((a, b) => a * b, 1);
  return (n / block.blockSize) * block.typeSize;
}

interface Plan { header: Buffer; sizes: number[]; offsets: number[]; dataSize: number; alignment: number }

/** Encode header + tensor infos (padded to the alignment) and lay out the data section. */
function plan(kvs: GGUFWriteKV[], tensors: AnyTensor[], opts: GGUFWriteOptions): Plan {
  const version = opts.version ?? 3;
  if (version !== 2 && version !== 3) throw new GGUFError(`cannot write GGUF version ${String(version)} (2 or 3)`);
  const all = [...kvs];
  const alignKV = kvs.find((k) => k.key === 'general.alignment');
  let alignment = opts.alignment ?? (alignKV ? Number(alignKV.value) : GGUF_DEFAULT_ALIGNMENT);
  if (alignKV && Number(alignKV.value) !== alignment) {
    throw new GGUFError(`general.alignment = ${String(alignKV.value)} disagrees with the alignment option ${alignment}`);
  }
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GGUFError(`alignment ${alignment} is not a power of two`);
  }
  if (!alignKV && alignment !== GGUF_DEFAULT_ALIGNMENT) all.push(kv.u32('general.alignment', alignment));

  const seenKeys = new Set<string>();
  for (const k of all) {
    if (seenKeys.has(k.key)) throw new GGUFError(`duplicate metadata key ${k.key}`);
    seenKeys.add(k.key);
  }
  const seenNames = new Set<string>();
  for (const t of tensors) {
    if (seenNames.has(t.name)) throw new GGUFError(`duplicate tensor name ${t.name}`);
    seenNames.add(t.name);
  }

  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(version);
  s.u64(tensors.length);
  s.u64(all.length);
  for (const k of all) {
    s.string(k.key);
    s.u32(k.type);
    writeValue(s, k.type, k.value, k.key, k.elemType);
  }
  const sizes: number[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = tensorBytes(t);
    s.string(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(d);
    s.u32(t.type);
    s.u64(offset);
    sizes.push(size);
    offsets.push(offset);
    offset = alignUp(offset + size, alignment);
  }
  s.zeros(alignUp(s.length, alignment) - s.length);
  return { header: s.result(), sizes, offsets, dataSize: offset, alignment };
}

/** A tensor's bytes as chunks, checking that they add up to its size. */
function* chunksOf(t: AnyTensor, size: number): Generator<Uint8Array> {
  const data = 'data' in t ? t.data : t.getData();
  let total = 0;
  for (const chunk of data instanceof Uint8Array ? [data] : data) {
    total += chunk.byteLength;
    if (total > size) break;
    yield chunk;
  }
  if (total !== size) {
    throw new GGUFError(`tensor ${t.name}: ${ggmlTypeName(t.type)} [${t.dims.join(', ')}] needs ${size} bytes, got ${total}${total > size ? ' or more' : ''}`);
  }
}

/** The whole file in memory: for small files and tests. */
export function encodeGGUF(kvs: GGUFWriteKV[], tensors: AnyTensor[], opts: GGUFWriteOptions = {}): Buffer {
  const p = plan(kvs, tensors, opts);
  const out = Buffer.alloc(p.header.length + p.dataSize);
  p.header.copy(out, 0);
  tensors.forEach((t, i) => {
    let at = p.header.length + p.offsets[i];
    for (const chunk of chunksOf(t, p.sizes[i])) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
  });
  return out;
}

/**
 * Write a GGUF file tensor by tensor (lazy tensors are produced one at a time), into a temporary
 * file renamed into place at the end, so a failed write never leaves a half file under `path`.
 */
export function writeGGUF(path: string, kvs: GGUFWriteKV[], tensors: AnyTensor[], opts: GGUFWriteOptions = {}): void {
  const p = plan(kvs, tensors, opts);
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'its folder does not exist' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new GGUFError(`cannot write ${path}: ${why}`);
  }
  let ok = false;
  try {
    writeAll(fd, p.header);
    let pos = 0;
    const padding = new Uint8Array(p.alignment);
    tensors.forEach((t, i) => {
      if (p.offsets[i] > pos) writeAll(fd, padding.subarray(0, p.offsets[i] - pos));
      for (const chunk of chunksOf(t, p.sizes[i])) writeAll(fd, chunk);
      pos = p.offsets[i] + p.sizes[i];
    });
    if (p.dataSize > pos) writeAll(fd, padding.subarray(0, p.dataSize - pos));
    ok = true;
  } finally {
    closeSync(fd);
    if (ok) renameSync(tmp, path);
    else rmSync(tmp, { force: true });
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let done = 0;
  while (done < b.byteLength) done += writeSync(fd, b, done, b.byteLength - done);
}

/** Builders for the common metadata value types. */
export const kv = {
  string: (key: string, value: string): GGUFWriteKV => ({ key, type: GGUFValueType.STRING, value }),
  u32: (key: string, value: number): GGUFWriteKV => ({ key, type: GGUFValueType.UINT32, value }),
  i32: (key: string, value: number): GGUFWriteKV => ({ key, type: GGUFValueType.INT32, value }),
  f32: (key: string, value: number): GGUFWriteKV => ({ key, type: GGUFValueType.FLOAT32, value }),
  bool: (key: string, value: boolean): GGUFWriteKV => ({ key, type: GGUFValueType.BOOL, value }),
  u64: (key: string, value: number | bigint): GGUFWriteKV => ({ key, type: GGUFValueType.UINT64, value }),
  stringArray: (key: string, value: string[]): GGUFWriteKV =>
    ({ key, type: GGUFValueType.ARRAY, elemType: GGUFValueType.STRING, value }),
  f32Array: (key: string, value: ArrayLike<number>): GGUFWriteKV =>
    ({ key, type: GGUFValueType.ARRAY, elemType: GGUFValueType.FLOAT32, value: Float32Array.from(value) }),
  i32Array: (key: string, value: ArrayLike<number>): GGUFWriteKV =>
    ({ key, type: GGUFValueType.ARRAY, elemType: GGUFValueType.INT32, value: Int32Array.from(value) }),
  u32Array: (key: string, value: ArrayLike<number>): GGUFWriteKV =>
    ({ key, type: GGUFValueType.ARRAY, elemType: GGUFValueType.UINT32, value: Uint32Array.from(value) }),
  /** Any array; `elemType` ARRAY makes an array of arrays, each inner type inferred from its contents. */
  array: (key: string, elemType: GGUFValueType, value: GGUFValue[] | GGUFTypedArray): GGUFWriteKV =>
    ({ key, type: GGUFValueType.ARRAY, elemType, value }),
};
