// One shared WebAssembly.Memory per model: weights, KV caches and scratch, addressed by byte offset.
// wasm32 caps it at 65536 pages = 4 GiB.

export const PAGE = 65536;
export const MAX_PAGES = 65536;
export const MAX_BYTES = PAGE * MAX_PAGES;
/** [0, 64 KiB): kernel module static data; [64 KiB, 128 KiB): thread-pool control block. */
export const CONTROL_BLOCK_PTR = 64 * 1024;
export const CONTROL_BLOCK_BYTES = 64 * 1024;
export const ARENA_BASE = 1024 * 1024;

export class MemoryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

export function createSharedMemory(initialBytes = 4 * 1024 * 1024): WebAssembly.Memory {
  const initial = Math.max(1, Math.ceil(initialBytes / PAGE));
  if (initial > MAX_PAGES) throw new MemoryBudgetError(`needs ${mib(initialBytes)} of WASM memory, more than the 4096 MiB wasm32 can address`);
  return new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true });
}

export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Bump allocator over the shared memory. Grows the memory on demand.
 * mark()/release() free everything allocated after a mark (scratch, temporary load buffers).
 */
export class Arena {
  private top: number;
  constructor(readonly memory: WebAssembly.Memory, base = ARENA_BASE) {
    this.top = base;
  }

  alloc(bytes: number, align = 64, what = 'buffer'): number {
    const ptr = Math.ceil(this.top / align) * align;
    const end = ptr + bytes;
    if (end > MAX_BYTES) {
      throw new MemoryBudgetError(`out of WASM memory allocating ${what} (${mib(bytes)}): ${mib(end)} needed, wasm32 allows 4096 MiB`);
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return ptr;
  }

  /** Current top; pass to release() to free everything allocated after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark > this.top) throw new Error('Arena.release: mark is above the top');
    this.top = mark;
  }

  get used(): number {
    return this.top;
  }
}

/** Views over shared memory that refresh after memory.grow() (a grown SharedArrayBuffer is a new object). */
export class MemoryViews {
  private buffer: ArrayBufferLike | null = null;
  private _u8!: Uint8Array;
  private _f32!: Float32Array;
  private _i32!: Int32Array;
  private _u16!: Uint16Array;
  private _i8!: Int8Array;
  constructor(readonly memory: WebAssembly.Memory) {}

  private refresh(): void {
    const b = this.memory.buffer;
    if (b === this.buffer && b.byteLength === this._u8.byteLength) return;
    this.buffer = b;
    this._u8 = new Uint8Array(b);
    this._f32 = new Float32Array(b);
    this._i32 = new Int32Array(b);
    this._u16 = new Uint16Array(b);
    this._i8 = new Int8Array(b);
  }
  get u8(): Uint8Array { this.refresh(); return this._u8; }
  get i8(): Int8Array { this.refresh(); return this._i8; }
  get u16(): Uint16Array { this.refresh(); return this._u16; }
  get f32(): Float32Array { this.refresh(); return this._f32; }
  get i32(): Int32Array { this.refresh(); return this._i32; }
}
