// Quantizers: hand-checked blocks, and byte-for-byte agreement with files written by llama.cpp's quantize tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantize, quantizeQ4_0, quantizeQ8_0, toF16Bytes } from '../../src/gguf/quantize.js';
import { readGGUF, readTensorBytes } from '../../src/gguf/reader.js';
import { GGMLType, GGUFError, ggmlTypeName } from '../../src/gguf/types.js';
import { needData } from '../helpers/data.js';

function int8(v: number): number {
  return (v << 24) >> 24;
}

test('Q8_0: d = amax/127 as f16, halves round away from zero', () => {
  const x = new Float32Array(32);
  x[0] = 127; // amax → d = 1 exactly
  x[1] = 2.5;
  x[2] = -2.5;
  x[3] = 0.49;
  x[4] = -127;
  const b = quantizeQ8_0(x);
  assert.equal(b.length, 34);
  assert.equal(b[0] | (b[1] << 8), 0x3c00); // f16 1.0
  assert.deepEqual([int8(b[2]), int8(b[3]), int8(b[4]), int8(b[5]), int8(b[6]), int8(b[7])], [127, 3, -3, 0, -127, 0]);
});

test('Q8_0: an all-zero block has d = 0 and zero quants', () => {
  const b = quantizeQ8_0(new Float32Array(64));
  assert.ok(b.every((v) => v === 0));
});

test('Q4_0: d = signed extreme / -8; q = min(15, trunc(x/d + 8.5)); nibbles split halves', () => {
  const x = new Float32Array(32);
  x[0] = -8; // largest magnitude, negative → d = 1
  x[1] = 4; // 12
  x[2] = 7.5; // 16 → clipped to 15
  x[16] = -0.6; // 7.9 → 7
  x[17] = 0.6; // 9.1 → 9
  const b = quantizeQ4_0(x);
  assert.equal(b.length, 18);
  assert.equal(b[0] | (b[1] << 8), 0x3c00);
  const q = (j: number): number => (j < 16 ? b[2 + j] & 0xf : b[2 + j - 16] >> 4);
  assert.deepEqual([q(0), q(1), q(2), q(3), q(16), q(17), q(18)], [0, 12, 15, 8, 7, 9, 8]);

  const y = new Float32Array(32);
  y[5] = 8; // positive extreme → d = -1: x = 8 maps to 0, x = -8 to 15 (clipped from 16)
  y[6] = -8;
  const c = quantizeQ4_0(y);
  assert.equal(c[0] | (c[1] << 8), 0xbc00);
  assert.deepEqual([c[2 + 5] & 0xf, c[2 + 6] & 0xf, c[2] & 0xf], [0, 15, 8]);
});

test('toF16Bytes rounds to nearest even, little-endian', () => {
  const b = toF16Bytes(new Float32Array([1, -2, 1 + 2 ** -11, 65520]));
  const h = (i: number): number => b[2 * i] | (b[2 * i + 1] << 8);
  assert.deepEqual([h(0), h(1), h(2), h(3)], [0x3c00, 0xc000, 0x3c00, 0x7c00]);
});

test('quantize() refuses types it cannot write, and partial blocks', () => {
  assert.throws(() => quantize(GGMLType.Q4_K, new Float32Array(256)), (e: unknown) => e instanceof GGUFError && /Q4_K/.test(e.message));
  assert.throws(() => quantizeQ8_0(new Float32Array(31)), GGUFError);
});

test('quantizing stories260K F32 reproduces llama.cpp\'s Q8_0 and Q4_0 files byte for byte', (t) => {
  const paths = needData(t, 'models/stories260K.gguf', 'models/stories260K-q8_0.gguf', 'models/stories260K-q4_0.gguf');
  if (!paths) return;
  const [f32Path, ...quantPaths] = paths;
  const ref = readGGUF(f32Path);
  for (const path of quantPaths) {
    const file = readGGUF(path);
    const checked = new Set<GGMLType>();
    for (const info of file.tensors) {
      const refInfo = ref.tensors.find((r) => r.name === info.name);
      assert.ok(refInfo, `${info.name} missing from the F32 file`);
      const raw = Buffer.alloc(refInfo.nBytes);
      readTensorBytes(ref, refInfo, raw);
      const x = new Float32Array(raw.buffer, raw.byteOffset, refInfo.nElements);
      const expected = Buffer.alloc(info.nBytes);
      readTensorBytes(file, info, expected);
      const mine = Buffer.from(quantize(info.type, x));
      assert.ok(mine.equals(expected), `${path}: ${info.name} (${ggmlTypeName(info.type)}) differs`);
      checked.add(info.type);
    }
    // F16 (ffn_down), F32 (norms) and the file's main quant type were all compared
    assert.ok(checked.has(GGMLType.F16) && checked.has(GGMLType.F32) && checked.has(GGMLType.Q8_0));
  }
});
