// Writer ↔ reader roundtrips: every value type, nested arrays, alignment, v2/v3, streaming and lazy tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGGUF, kv, writeGGUF, type GGUFWriteKV, type GGUFWriteTensor } from '../../src/gguf/writer.js';
import { readGGUF, readTensorBytes } from '../../src/gguf/reader.js';
import { GGMLType, GGUFError, GGUFValueType } from '../../src/gguf/types.js';
import { needData } from '../helpers/data.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Write `bytes` to a temp file and parse it. */
function roundtrip(dir: string, bytes: Buffer, name = 'x.gguf') {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return readGGUF(path);
}

const ALL_SCALARS: GGUFWriteKV[] = [
  { key: 'u8', type: GGUFValueType.UINT8, value: 250 },
  { key: 'i8', type: GGUFValueType.INT8, value: -100 },
  { key: 'u16', type: GGUFValueType.UINT16, value: 65000 },
  { key: 'i16', type: GGUFValueType.INT16, value: -32000 },
  kv.u32('u32', 4000000000),
  kv.i32('i32', -2000000000),
  kv.f32('f32', 0.1),
  kv.bool('boolT', true),
  kv.bool('boolF', false),
  kv.string('str', 'héllo ✓ 世界'),
  kv.u64('u64', 2n ** 60n + 1n),
  kv.u64('u64small', 12345),
  { key: 'i64', type: GGUFValueType.INT64, value: -(2n ** 62n) },
  { key: 'f64', type: GGUFValueType.FLOAT64, value: Math.PI },
];

test('every scalar value type roundtrips (v3 and v2)', (t) => {
  const dir = tmp(t);
  for (const version of [2, 3] as const) {
    const f = roundtrip(dir, encodeGGUF(ALL_SCALARS, [], { version }), `v${version}.gguf`);
    assert.equal(f.version, version);
    const m = f.metadata;
    assert.equal(m.get('u8'), 250);
    assert.equal(m.get('i8'), -100);
    assert.equal(m.get('u16'), 65000);
    assert.equal(m.get('i16'), -32000);
    assert.equal(m.get('u32'), 4000000000);
    assert.equal(m.get('i32'), -2000000000);
    assert.equal(m.get('f32'), Math.fround(0.1));
    assert.equal(m.get('boolT'), true);
    assert.equal(m.get('boolF'), false);
    assert.equal(m.get('str'), 'héllo ✓ 世界');
    assert.equal(m.get('u64'), 2n ** 60n + 1n); // beyond 2^53 stays bigint
    assert.equal(m.get('u64small'), 12345);
    assert.equal(m.get('i64'), -(2n ** 62n));
    assert.equal(m.get('f64'), Math.PI);
    for (const k of ALL_SCALARS) assert.equal(f.metadataTypes.get(k.key)?.type, k.type, k.key);
    assert.deepEqual([...m.keys()], ALL_SCALARS.map((k) => k.key)); // order kept
  }
});

test('arrays of every element type, and arrays of arrays', (t) => {
  const dir = tmp(t);
  const kvs: GGUFWriteKV[] = [
    kv.stringArray('tokens', ['a', '', 'ü', 'Ġthe']),
    kv.f32Array('scores', [0.5, -1.25]),
    kv.i32Array('types', [1, 3, -6]),
    kv.u32Array('u32s', [0, 4294967295]),
    kv.array('u8s', GGUFValueType.UINT8, new Uint8Array([1, 255])),
    kv.array('i8s', GGUFValueType.INT8, new Int8Array([-128, 127])),
    kv.array('u16s', GGUFValueType.UINT16, new Uint16Array([65535])),
    kv.array('i16s', GGUFValueType.INT16, new Int16Array([-32768])),
    kv.array('f64s', GGUFValueType.FLOAT64, new Float64Array([1e300])),
    kv.array('bools', GGUFValueType.BOOL, [true, false, true]),
    kv.array('u64s', GGUFValueType.UINT64, [1, 2n ** 63n]),
    kv.array('i64s', GGUFValueType.INT64, [-1, 5]),
    kv.array('empty', GGUFValueType.STRING, []),
    kv.array('nested', GGUFValueType.ARRAY, [new Int32Array([1, 2]), ['x', 'y'], new Float32Array([]), [[true]]]),
  ];
  const m = roundtrip(dir, encodeGGUF(kvs, [])).metadata;
  assert.deepEqual(m.get('tokens'), ['a', '', 'ü', 'Ġthe']);
  assert.deepEqual(m.get('scores'), new Float32Array([0.5, -1.25]));
  assert.deepEqual(m.get('types'), new Int32Array([1, 3, -6]));
  assert.deepEqual(m.get('u32s'), new Uint32Array([0, 4294967295]));
  assert.deepEqual(m.get('u8s'), new Uint8Array([1, 255]));
  assert.deepEqual(m.get('i8s'), new Int8Array([-128, 127]));
  assert.deepEqual(m.get('u16s'), new Uint16Array([65535]));
  assert.deepEqual(m.get('i16s'), new Int16Array([-32768]));
  assert.deepEqual(m.get('f64s'), new Float64Array([1e300]));
  assert.deepEqual(m.get('bools'), [true, false, true]);
  assert.deepEqual(m.get('u64s'), [1, 2n ** 63n]);
  assert.deepEqual(m.get('i64s'), [-1, 5]);
  assert.deepEqual(m.get('empty'), []);
  assert.deepEqual(m.get('nested'), [new Int32Array([1, 2]), ['x', 'y'], new Float32Array([]), [[true]]]);
});

function tensor(name: string, dims: number[], type: GGMLType, fill: (i: number) => number): GGUFWriteTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const bytes = type === GGMLType.F32 ? n * 4 : type === GGMLType.F16 ? n * 2 : (n / 32) * 34;
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = fill(i) & 0xff;
  return { name, dims, type, data };
}

test('tensors land at aligned offsets with their bytes intact, for several alignments', (t) => {
  const dir = tmp(t);
  const tensors = [
    tensor('a', [3], GGMLType.F32, (i) => i + 1), // 12 bytes: forces padding before the next
    tensor('b', [64, 2], GGMLType.Q8_0, (i) => i * 7),
    tensor('c', [5, 1, 1, 1], GGMLType.F16, (i) => 200 - i),
  ];
  for (const alignment of [32, 64, 256, 8]) {
    const f = roundtrip(dir, encodeGGUF([kv.string('general.architecture', 'llama')], tensors, { alignment }), `a${alignment}.gguf`);
    assert.equal(f.alignment, alignment);
    assert.equal(f.metadata.get('general.alignment'), alignment === 32 ? undefined : alignment);
    assert.equal(f.dataOffset % alignment, 0);
    for (const [i, info] of f.tensors.entries()) {
      assert.equal(info.name, tensors[i].name);
      assert.deepEqual(info.dims, tensors[i].dims);
      assert.equal(info.type, tensors[i].type);
      assert.equal(info.offset % alignment, 0);
      const got = Buffer.alloc(info.nBytes);
      readTensorBytes(f, info, got);
      assert.ok(got.equals(tensors[i].data), `${info.name} at alignment ${alignment}`);
    }
  }
});

test('general.alignment given as metadata is honoured; a conflicting option is refused', (t) => {
  const dir = tmp(t);
  const tensors = [tensor('a', [3], GGMLType.F32, (i) => i), tensor('b', [3], GGMLType.F32, (i) => i)];
  const f = roundtrip(dir, encodeGGUF([kv.u32('general.alignment', 128)], tensors));
  assert.equal(f.alignment, 128);
  assert.equal(f.tensors[1].offset, 128);
  assert.throws(() => encodeGGUF([kv.u32('general.alignment', 128)], tensors, { alignment: 64 }), GGUFError);
  assert.throws(() => encodeGGUF([], tensors, { alignment: 48 }), /power of two/);
});

test('writeGGUF streams the same bytes as encodeGGUF, lazy tensors included, and leaves no temp file', (t) => {
  const dir = tmp(t);
  const kvs = [kv.string('general.name', 'x'), kv.stringArray('tokens', ['a', 'b'])];
  const tensors = [tensor('a', [7], GGMLType.F32, (i) => i), tensor('b', [32, 3], GGMLType.Q8_0, (i) => i * 3)];
  const path = join(dir, 'w.gguf');
  let produced = 0;
  writeGGUF(path, kvs, [tensors[0], { name: 'b', dims: [32, 3], type: GGMLType.Q8_0, getData: () => { produced++; return tensors[1].data; } }]);
  assert.equal(produced, 1);
  assert.ok(readFileSync(path).equals(encodeGGUF(kvs, tensors)));
  assert.deepEqual(readdirSync(dir), ['w.gguf']);
});

test('a failed write leaves nothing behind; bad input gives one-line GGUFErrors', (t) => {
  const dir = tmp(t);
  const path = join(dir, 'bad.gguf');
  const wrongSize = { name: 't', dims: [4], type: GGMLType.F32, data: new Uint8Array(15) };
  assert.throws(() => writeGGUF(path, [], [wrongSize]), /needs 16 bytes, got 15/);
  assert.deepEqual(readdirSync(dir), []);
  assert.throws(() => encodeGGUF([], [{ name: 'q', dims: [20], type: GGMLType.Q8_0, data: new Uint8Array(0) }]), /not a multiple of the Q8_0 block size/);
  assert.throws(() => encodeGGUF([kv.u32('k', 1), kv.u32('k', 2)], []), /duplicate metadata key k/);
  assert.throws(() => encodeGGUF([{ key: 's', type: GGUFValueType.STRING, value: 5 }], []), /expected a string/);
  assert.throws(() => encodeGGUF([], [], { version: 1 as 2 }), /version 1/);
});

test('a real file re-encoded from its parsed metadata and tensors is byte-identical', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const src = readGGUF(paths[0]);
  const kvs: GGUFWriteKV[] = [...src.metadata].map(([key, value]) => ({ key, value, ...src.metadataTypes.get(key)! }));
  const tensors: GGUFWriteTensor[] = src.tensors.map((info) => {
    const data = Buffer.alloc(info.nBytes);
    readTensorBytes(src, info, data);
    return { name: info.name, dims: info.dims, type: info.type, data };
  });
  const encoded = encodeGGUF(kvs, tensors, { version: src.version as 2 | 3 });
  assert.ok(encoded.equals(readFileSync(paths[0])));
});
