// Reads GGUF tensors straight into WASM memory and packs them into the chosen in-memory format.
// Raw bytes land in a temporary arena region (no second copy in the JS heap), are packed into
// their final place, and the temporary region is released.
import { closeSync, openSync } from 'node:fs';
import { canDequantize, dequantize } from '../gguf/dequant.js';
import { readTensorBytes } from '../gguf/reader.js';
import { GGMLType, GGUFError, ggmlTypeName, type GGUFFile, type GGUFTensorInfo } from '../gguf/types.js';
import type { Kernels, PackedWeight, WeightFormat } from '../kernels/types.js';
import type { Arena, MemoryViews } from '../runtime/memory.js';
import { chooseFormat, directSource, type QuantMode } from './quant-mode.js';

export interface LoadProgress { (loadedBytes: number, totalBytes: number): void }

export class TensorLoader {
  private readonly byName: Map<string, GGUFTensorInfo>;
  private readonly fd: number;
  private loaded = 0;
  readonly totalBytes: number;

  constructor(
    private readonly file: GGUFFile,
    private readonly kernels: Kernels,
    private readonly arena: Arena,
    private readonly views: MemoryViews,
    private readonly mode: QuantMode,
    private readonly onProgress?: LoadProgress,
  ) {
    this.byName = new Map(file.tensors.map((t) => [t.name, t]));
    this.totalBytes = file.tensors.reduce((a, t) => a + t.nBytes, 0);
    this.fd = openSync(file.path, 'r');
  }

  close(): void {
    closeSync(this.fd);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string): GGUFTensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new GGUFError(`${this.file.path}: missing tensor ${name}`);
    return t;
  }

  /** Format a matrix will get in memory (for budgeting before loading). */
  formatOf(name: string, isOutput = false): WeightFormat {
    const t = this.get(name);
    return chooseFormat(this.mode, t.type, t.dims[0], isOutput);
  }

  /** A 2-D weight [rows = dims[1], cols = dims[0]], packed for matmul/embed. */
  matrix(name: string, expect?: { rows?: number; cols?: number }, isOutput = false): PackedWeight {
    const t = this.get(name);
    const cols = t.dims[0];
    const rows = t.nElements / cols;
    if ((expect?.rows !== undefined && rows !== expect.rows) || (expect?.cols !== undefined && cols !== expect.cols)) {
      throw new GGUFError(`${this.file.path}: tensor ${name} has shape [${t.dims.join(', ')}], expected [${expect.cols ?? cols}, ${expect.rows ?? rows}]`);
    }
    const format = chooseFormat(this.mode, t.type, cols, isOutput);
    const dst = this.arena.alloc(this.kernels.packedSize(format, rows, cols), 64, name);
    const mark = this.arena.mark();
    try {
      const raw = this.readRaw(t);
      const source = directSource(t.type, format);
      if (source) return this.kernels.pack(format, source, raw, rows, cols, dst);
      const f32 = this.dequantizeTo(t, raw);
      return this.kernels.pack(format, 'f32', f32, rows, cols, dst);
    } finally {
      this.arena.release(mark);
    }
  }

  /** A 1-D f32 vector (norm weight, bias) of `length` elements. */
  vector(name: string, length?: number): number {
    const t = this.get(name);
    if (length !== undefined && t.nElements !== length) {
      throw new GGUFError(`${this.file.path}: tensor ${name} has ${t.nElements} elements, expected ${length}`);
    }
    const dst = this.arena.alloc(t.nElements * 4, 64, name);
    const mark = this.arena.mark();
    try {
      const raw = this.readRaw(t);
      if (t.type === GGMLType.F32) {
        this.views.u8.copyWithin(dst, raw, raw + t.nBytes);
      } else {
        const f32 = this.dequantizeTo(t, raw);
        this.views.u8.copyWithin(dst, f32, f32 + t.nElements * 4);
      }
      return dst;
    } finally {
      this.arena.release(mark);
    }
  }

  optionalVector(name: string, length?: number): number | undefined {
    return this.has(name) ? this.vector(name, length) : undefined;
  }

  private readRaw(t: GGUFTensorInfo): number {
    const ptr = this.arena.alloc(t.nBytes, 64, `${t.name} (raw)`);
    readTensorBytes(this.file, t, this.views.u8.subarray(ptr, ptr + t.nBytes), this.fd);
    this.loaded += t.nBytes;
    this.onProgress?.(this.loaded, this.totalBytes);
    return ptr;
  }

  private dequantizeTo(t: GGUFTensorInfo, raw: number): number {
    if (!canDequantize(t.type)) {
      throw new GGUFError(`${this.file.path}: tensor ${t.name} has type ${ggmlTypeName(t.type)}, which tsllama cannot load yet`);
    }
    const out = this.arena.alloc(t.nElements * 4, 64, `${t.name} (f32)`);
    const views = this.views;
    dequantize(t.type, views.u8.subarray(raw, raw + t.nBytes), t.nElements, new Float32Array(views.u8.buffer, out, t.nElements));
    return out;
  }
}
