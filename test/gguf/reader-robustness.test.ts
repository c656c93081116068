// The reader on bad input: every problem is a one-line GGUFError (never a RangeError, a hang or a huge
// allocation), and every real GGUF in ../shared/models parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGGUF } from '../../src/gguf/reader.js';
import { encodeGGUF, kv } from '../../src/gguf/writer.js';
import { GGMLType, GGUFError, GGUFValueType } from '../../src/gguf/types.js';
import { needData, sharedPath } from '../helpers/data.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-reader-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Assert that reading `path` fails with a one-line GGUFError matching `pattern`. */
function assertGGUFError(path: string, pattern: RegExp): void {
  assert.throws(() => readGGUF(path), (e: unknown) => {
    assert.ok(e instanceof GGUFError, `expected GGUFError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

function writeTemp(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

test('missing file, directory, empty file, wrong magic, unsupported versions', (t) => {
  const dir = tmp(t);
  assertGGUFError(join(dir, 'nope.gguf'), /not found/);
  assertGGUFError(dir, /is a directory/);
  assertGGUFError(writeTemp(dir, 'empty.gguf', new Uint8Array(0)), /not a GGUF file/);
  assertGGUFError(writeTemp(dir, 'text.gguf', Buffer.from('hello world, not a model')), /not a GGUF file \(magic is "hell"/);
  const v9 = encodeGGUF([], []);
  v9.writeUInt32LE(9, 4);
  assertGGUFError(writeTemp(dir, 'v9.gguf', v9), /unsupported GGUF version 9/);
});

test('GGUF v1 is refused with a clear message', (t) => {
  const paths = needData(t, 'models/legacy/tinyllamas-stories-260k-f32.gguf');
  if (!paths) return;
  assertGGUFError(paths[0], /GGUF version 1 is not supported/);
});

test('a real file cut at many offsets always gives a GGUFError', (t) => {
  const paths = needData(t, 'models/stories260K.gguf');
  if (!paths) return;
  const dir = tmp(t);
  const whole = readFileSync(paths[0]);
  const full = readGGUF(paths[0]);
  const cuts = new Set<number>([1, 3, 4, 5, 8, 12, 16, 20, 23, 24, 25, 31, 32, 40, 64, 100, 1000, 4096]);
  for (let c = 0; c < full.dataOffset; c += 997) cuts.add(c); // all through metadata and tensor infos
  for (const c of [full.dataOffset - 1, full.dataOffset, full.dataOffset + 1, whole.length - 1]) cuts.add(c);
  for (const cut of cuts) {
    const path = writeTemp(dir, 'cut.gguf', whole.subarray(0, cut));
    assertGGUFError(path, /truncated|not a GGUF file|past the end/);
  }
});

/** A one-tensor file, for patching its header fields. */
function oneTensorFile(name = 'w', dims = [8]): Buffer {
  const data = new Uint8Array(dims.reduce((a, b) => a * b, 1) * 4);
  return encodeGGUF([], [{ name, dims, type: GGMLType.F32, data }]);
}
// Header: magic u32 @0 | version u32 @4 | n_tensors u64 @8 | n_kv u64 @16, then (no kvs) tensor info @24:
// name length u64 | name | n_dims u32 | dims u64… | type u32 | offset u64.
const TENSOR_INFO = 24;

test('tensor data past the end of the file', (t) => {
  const dir = tmp(t);
  const bytes = oneTensorFile();
  assertGGUFError(writeTemp(dir, 'short.gguf', bytes.subarray(0, bytes.length - 4)), /tensor w .* ends past the end of the file/);
  const moved = Buffer.from(bytes);
  moved.writeBigUInt64LE(1024n, TENSOR_INFO + 8 + 1 + 4 + 8 + 4); // offset field
  assertGGUFError(writeTemp(dir, 'moved.gguf', moved), /ends past the end/);
});

test('unknown or unsupported tensor types name the type', (t) => {
  const dir = tmp(t);
  const typeAt = TENSOR_INFO + 8 + 1 + 4 + 8;
  const unknown = oneTensorFile();
  unknown.writeUInt32LE(99, typeAt);
  assertGGUFError(writeTemp(dir, 'unknown.gguf', unknown), /tensor w has type unknown\(99\)/);
  const iq = oneTensorFile();
  iq.writeUInt32LE(GGMLType.IQ2_XXS, typeAt);
  assertGGUFError(writeTemp(dir, 'iq.gguf', iq), /IQ2_XXS/);
  const dims = oneTensorFile();
  dims.writeUInt32LE(7, TENSOR_INFO + 8 + 1);
  assertGGUFError(writeTemp(dir, 'dims.gguf', dims), /7 dimensions/);
});

test('absurd counts and lengths fail fast without allocating', (t) => {
  const dir = tmp(t);
  const huge = 2n ** 60n;
  const start = Date.now();
  const nTensors = oneTensorFile();
  nTensors.writeBigUInt64LE(huge, 8);
  assertGGUFError(writeTemp(dir, 'ntensors.gguf', nTensors), /tensor count is 1152921504606846976/);
  const nKV = oneTensorFile();
  nKV.writeBigUInt64LE(huge, 16);
  assertGGUFError(writeTemp(dir, 'nkv.gguf', nKV), /metadata count/);
  const nameLen = oneTensorFile();
  nameLen.writeBigUInt64LE(huge, TENSOR_INFO);
  assertGGUFError(writeTemp(dir, 'namelen.gguf', nameLen), /length of tensor name/);
  const dim = oneTensorFile();
  dim.writeBigUInt64LE(huge, TENSOR_INFO + 8 + 1 + 4);
  assertGGUFError(writeTemp(dir, 'dim.gguf', dim), /tensor w|dimension 0/);

  // array lengths: a string array claiming 2^32 entries in a small file
  const arr = encodeGGUF([kv.stringArray('tokens', ['a', 'b'])], []);
  const lenAt = 24 + 8 + 'tokens'.length + 4 + 4; // key, value type, element type
  assert.equal(arr.readBigUInt64LE(lenAt), 2n);
  arr.writeBigUInt64LE(2n ** 32n, lenAt);
  assertGGUFError(writeTemp(dir, 'arr.gguf', arr), /length of array tokens/);
  const f32arr = encodeGGUF([kv.f32Array('scores', [1, 2])], []);
  f32arr.writeBigUInt64LE(2n ** 40n, 24 + 8 + 'scores'.length + 4 + 4);
  assertGGUFError(writeTemp(dir, 'f32arr.gguf', f32arr), /length of array scores/);
  assert.ok(Date.now() - start < 2000, 'absurd counts took too long');
});

test('bad metadata: unknown value type, deep nesting, bad alignment', (t) => {
  const dir = tmp(t);
  const badType = encodeGGUF([kv.u32('k', 1)], []);
  badType.writeUInt32LE(77, 24 + 8 + 1);
  assertGGUFError(writeTemp(dir, 'badtype.gguf', badType), /metadata k has unknown value type 77/);

  let nested: unknown = [1];
  for (let i = 0; i < 20; i++) nested = [nested];
  const deep = encodeGGUF([kv.array('deep', GGUFValueType.ARRAY, nested as never)], []);
  assertGGUFError(writeTemp(dir, 'deep.gguf', deep), /nests arrays more than/);

  const align = encodeGGUF([kv.u32('general.alignment', 64)], []);
  align.writeUInt32LE(48, 24 + 8 + 'general.alignment'.length + 4);
  assertGGUFError(writeTemp(dir, 'align.gguf', align), /general.alignment = 48 is not a power of two/);
});

test('vocab-only files (0 tensors, no padding after the header) parse', (t) => {
  const paths = needData(t, 'models/vocab');
  if (!paths) return;
  const files = readdirSync(paths[0]).filter((f) => f.endsWith('.gguf'));
  assert.ok(files.length >= 10);
  for (const f of files) {
    const g = readGGUF(join(paths[0], f));
    assert.equal(g.tensors.length, 0, f);
    assert.ok(g.dataOffset >= g.fileSize, `${f}: the file should end at the tensor infos`);
    const tokens = g.metadata.get('tokenizer.ggml.tokens');
    assert.ok(Array.isArray(tokens) && tokens.length > 1000, `${f}: tokens`);
  }
});

test('every model in ../shared/models parses with tensors inside the file', (t) => {
  const paths = needData(t, 'models/stories260K.gguf', 'models/stories260K-q8_0.gguf', 'models/stories260K-q4_0.gguf', 'models/llama-2-tiny-random.gguf');
  if (!paths) return;
  for (const p of paths) {
    const g = readGGUF(p);
    assert.equal(g.metadata.get('general.architecture'), 'llama', p);
    assert.ok(g.tensors.length > 0);
    for (const info of g.tensors) assert.ok(info.fileOffset + info.nBytes <= g.fileSize);
  }
  assert.equal(readGGUF(sharedPath('models/stories260K.gguf')).tensors.length, 48);
});
