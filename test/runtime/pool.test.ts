import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, createSharedMemory } from '../../src/runtime/memory.js';
import { kernelModuleFromBytes, type KernelModule } from '../../src/runtime/kernel-module.js';
import { KernelError, WorkerPool } from '../../src/runtime/pool.js';
import { fixtureBytes } from './compile-fixture.js';

let fixture: KernelModule | undefined;
async function rowsModule(): Promise<KernelModule> {
  fixture ??= kernelModuleFromBytes(await fixtureBytes('rows'), 'simd', 'rows.wasm');
  return fixture;
}

async function poolWith(threads: number): Promise<{ pool: WorkerPool; arena: Arena; memory: WebAssembly.Memory }> {
  const memory = createSharedMemory(8 << 20);
  const pool = await WorkerPool.create({ memory, kernels: await rowsModule(), threads });
  return { pool, arena: new Arena(memory), memory };
}

/** The ranges log_range recorded (log[r0] = r1), in order from row 0. */
function loggedRanges(log: Int32Array, nRows: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let r0 = 0; r0 < nRows; ) {
    const r1 = log[r0];
    assert.ok(r1 > r0 && r1 <= nRows, `range starting at ${r0} ends at ${r1} (nRows ${nRows})`);
    ranges.push([r0, r1]);
    r0 = r1;
  }
  return ranges;
}

test('run covers every row exactly once, in whole granules, in min(threads, granules) × chunksPerThread ranges', async (t) => {
  const rowCounts = [1, 2, 3, 5, 7, 16, 31, 64, 100, 1001];
  const granules = [1, 2, 4, 8, 32];
  for (const threads of [1, 2, 3, 5]) {
    const { pool, arena, memory } = await poolWith(threads);
    t.after(() => pool.dispose());
    const maxRows = Math.max(...rowCounts);
    const countsPtr = arena.alloc(maxRows * 4); // [nRows] i32
    const logPtr = arena.alloc(maxRows * 4); // [nRows] i32
    for (const chunksPerThread of [1, 4]) {
      for (const nRows of rowCounts) {
        for (const granule of granules) {
          const what = `threads ${threads}, chunks per thread ${chunksPerThread}, nRows ${nRows}, granule ${granule}`;
          const counts = new Int32Array(memory.buffer, countsPtr, nRows).fill(0);
          const log = new Int32Array(memory.buffer, logPtr, nRows).fill(-1);
          pool.run('count_rows', [countsPtr], nRows, granule, chunksPerThread);
          pool.run('log_range', [logPtr], nRows, granule, chunksPerThread);
          assert.deepEqual([...counts], new Array(nRows).fill(1), what);

          const ranges = loggedRanges(log, nRows);
          const nGranules = Math.ceil(nRows / granule);
          const nActive = Math.min(threads, nGranules);
          assert.equal(ranges.length, nActive === 1 ? 1 : Math.min(nGranules, nActive * chunksPerThread), what);
          ranges.slice(0, -1).forEach(([r0, r1]) => assert.equal((r1 - r0) % granule, 0, `${what}: [${r0}, ${r1})`));
          const sizes = ranges.map(([r0, r1]) => r1 - r0);
          // Balanced: whole-granule shares differ by at most one granule (the last may be short).
          assert.ok(Math.max(...sizes) - Math.min(...sizes.slice(0, -1), sizes[sizes.length - 1]) <= 2 * granule, `${what}: ${sizes}`);
        }
      }
    }
  }
});

test('chunked runs: a slower thread does less, the others claim the chunks it has not started', async (t) => {
  // The caller's first chunk (rows from 0) spins until every later row is done: with the 8 chunks
  // of 2 threads × 4, only the worker claiming chunks 2-7 while the caller still sits in chunk 0
  // lets it see that (one pre-assigned block of rows per thread would leave rows 8-31 undone).
  const { pool, arena, memory } = await poolWith(2);
  t.after(() => pool.dispose());
  const nRows = 64;
  const countsPtr = arena.alloc(nRows * 4);
  const flagPtr = arena.alloc(8);
  const i32 = new Int32Array(memory.buffer);
  i32.fill(0, countsPtr >> 2, (countsPtr >> 2) + nRows);
  i32.fill(0, flagPtr >> 2, (flagPtr >> 2) + 2);
  pool.run('wait_for_rest', [countsPtr, nRows, flagPtr], nRows, 1, 4);
  assert.equal(i32[flagPtr >> 2], 1, 'the rows after the first chunk were not all done while it waited');
  assert.deepEqual([...i32.subarray(countsPtr >> 2, (countsPtr >> 2) + nRows)], new Array(nRows).fill(1));
});

test('nRows = 0 is a no-op and bad arguments are rejected by name', async (t) => {
  const { pool, arena, memory } = await poolWith(2);
  t.after(() => pool.dispose());
  const countsPtr = arena.alloc(16);
  const counts = new Int32Array(memory.buffer, countsPtr, 4);
  pool.run('count_rows', [countsPtr], 0);
  assert.deepEqual([...counts], [0, 0, 0, 0]);
  assert.throws(() => pool.run('no_such_kernel', [], 4), /no function export 'no_such_kernel'/);
  assert.throws(() => pool.run('count_rows', [countsPtr], 4, 0), /granule must be a positive integer/);
  assert.throws(() => pool.run('count_rows', [countsPtr], 4, 1, 0), /chunksPerThread must be a positive integer/);
  assert.throws(() => pool.run('count_rows', [countsPtr], -1), /nRows must be a non-negative integer/);
  assert.throws(() => pool.run('count_rows', [countsPtr], 2.5), /nRows must be a non-negative integer/);
});

test('results are identical with 1 and 3 threads', async (t) => {
  const single = await poolWith(1);
  const triple = await poolWith(3);
  t.after(() => Promise.all([single.pool.dispose(), triple.pool.dispose()]));
  const rows = 333, cols = 17;
  for (const { pool, arena } of [single, triple]) {
    const x = arena.alloc(rows * cols * 4); // [rows, cols] f32
    pool.run('fill_rows', [x, 0.25, cols], rows, 4);
  }
  const bytesOf = ({ memory }: { memory: WebAssembly.Memory }) => new Uint8Array(memory.buffer, 1 << 20, rows * cols * 4).slice();
  const a = bytesOf(single), b = bytesOf(triple);
  assert.deepEqual(b, a);
  const f32 = new Float32Array(a.buffer);
  assert.equal(f32[5 * cols + 3], 0.25 * 6 + 3);
});

test('eight arguments of mixed kinds arrive intact on every thread', async (t) => {
  const { pool, arena, memory } = await poolWith(3);
  t.after(() => pool.dispose());
  const n = 12;
  const out = arena.alloc(n * 8, 64); // [n] f64
  const args = [out, 1.5, -2.25e10, -7, 0.1, Math.PI, 2 ** 31 - 1, 1e-300];
  pool.run('sum_args', args, n);
  const got = new Float64Array(memory.buffer, out, n);
  const [, a, b, c, d, e, f, g] = args;
  for (let r = 0; r < n; r++) assert.equal(got[r], r + a + b + c + Math.fround(d) + e + f + g, `row ${r}`);
});

test('10k consecutive runs neither deadlock nor lose rows; reports the empty-job round trip', async (t) => {
  const { pool, arena, memory } = await poolWith(2);
  t.after(() => pool.dispose());
  const nRows = 64;
  const countsPtr = arena.alloc(nRows * 4);
  const runs = 10_000;
  for (let i = 0; i < runs; i++) pool.run('count_rows', [countsPtr], nRows);
  assert.deepEqual([...new Int32Array(memory.buffer, countsPtr, nRows)], new Array(nRows).fill(runs));

  for (let i = 0; i < 1000; i++) pool.run('noop', [], nRows); // warm-up
  const timed = 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < timed; i++) pool.run('noop', [], nRows);
  const micros = Number(process.hrtime.bigint() - t0) / 1000 / timed;
  t.diagnostic(`empty job round trip, 2 threads: ${micros.toFixed(2)} µs`);
});

test('a worker that finds the next job only after sleeping is woken (no lost wake-up)', async (t) => {
  const memory = createSharedMemory(8 << 20);
  // No spinning: every job has to go through Atomics.wait / notify.
  const pool = await WorkerPool.create({ memory, kernels: await rowsModule(), threads: 3, spinMicros: 0 });
  t.after(() => pool.dispose());
  const countsPtr = new Arena(memory).alloc(64);
  for (let i = 0; i < 2000; i++) {
    pool.run('count_rows', [countsPtr], 3);
    if (i % 200 === 0) await new Promise((r) => setTimeout(r, 1)); // let workers fall asleep
  }
  assert.deepEqual([...new Int32Array(memory.buffer, countsPtr, 3)], [2000, 2000, 2000]);
});

test('jobs of varying width (idle workers skip them) keep every row count exact', async (t) => {
  const memory = createSharedMemory(8 << 20);
  // A short spin: lagging workers see generations skipped and slots rewritten under them.
  const pool = await WorkerPool.create({ memory, kernels: await rowsModule(), threads: 4, spinMicros: 20 });
  t.after(() => pool.dispose());
  const countsPtr = new Arena(memory).alloc(64);
  const runs = 3000;
  const expected = [0, 0, 0, 0, 0];
  for (let i = 0; i < runs; i++) {
    const nRows = 1 + ((i * 7) % 5);
    pool.run('count_rows', [countsPtr], nRows);
    for (let r = 0; r < nRows; r++) expected[r]++;
  }
  assert.deepEqual([...new Int32Array(memory.buffer, countsPtr, 5)], expected);
});

test('a kernel error in a worker is re-thrown on the caller with the kernel name; the pool stays usable', async (t) => {
  const { pool, arena, memory } = await poolWith(3);
  t.after(() => pool.dispose());
  // 30 rows over 3 threads: [0,10) caller, [10,20) worker 1, [20,30) worker 2.
  assert.throws(() => pool.run('abort_from', [20], 30), (e: unknown) => {
    assert.ok(e instanceof KernelError);
    assert.equal(e.kernel, 'abort_from');
    assert.equal(e.thread, 2);
    assert.deepEqual(e.rows, [20, 30]);
    assert.match(e.message, /^kernel abort_from failed on thread 2 \(rows \[20, 30\)\): kernel abort: row range rejected$/);
    return true;
  });
  assert.throws(() => pool.run('trap_from', [10], 30), /kernel trap_from failed on thread 1 .*unreachable/);
  assert.throws(() => pool.run('trap_from', [0], 30), (e: unknown) => e instanceof KernelError && e.thread === 0);
  // Errors from one job do not leak into the next.
  pool.run('abort_from', [30], 30);
  const countsPtr = arena.alloc(30 * 4);
  pool.run('count_rows', [countsPtr], 30);
  assert.deepEqual([...new Int32Array(memory.buffer, countsPtr, 30)], new Array(30).fill(1));
});

test('a chunked run names the chunk that failed and stays usable', async (t) => {
  const { pool, arena, memory } = await poolWith(3);
  t.after(() => pool.dispose());
  // 12 chunks of 2-3 rows (from 0, 2, 5, 7, ...); the threads that claim the chunks from row 20 fail.
  const failing = ['20,22', '22,25', '25,27', '27,30'];
  for (let i = 0; i < 20; i++) {
    assert.throws(() => pool.run('abort_from', [20], 30, 1, 4), (e: unknown) => {
      assert.ok(e instanceof KernelError);
      assert.ok(failing.includes(e.rows.join(',')), `rows ${e.rows}`);
      assert.match(e.message, /^kernel abort_from failed on thread \d \(rows \[2\d, [23]\d\)\): kernel abort: row range rejected$/);
      return true;
    });
  }
  const countsPtr = arena.alloc(30 * 4);
  pool.run('count_rows', [countsPtr], 30, 1, 4);
  assert.deepEqual([...new Int32Array(memory.buffer, countsPtr, 30)], new Array(30).fill(1));
});

test('an error on a single-thread (inline) run carries the kernel name too', async (t) => {
  const { pool } = await poolWith(1);
  t.after(() => pool.dispose());
  assert.throws(() => pool.run('trap_from', [0], 8), /^KernelError: kernel trap_from failed on thread 0 \(rows \[0, 8\)\): unreachable$/);
});

test('a worker that died makes run() throw instead of hanging', async (t) => {
  const spawned: import('node:worker_threads').Worker[] = [];
  const onWorker = (w: import('node:worker_threads').Worker) => spawned.push(w);
  process.on('worker', onWorker);
  const { pool, arena } = await poolWith(3);
  process.off('worker', onWorker);
  t.after(() => pool.dispose());
  assert.equal(spawned.length, 2);
  const countsPtr = arena.alloc(64);
  pool.run('count_rows', [countsPtr], 16);

  const exited = new Promise((r) => spawned[1].once('exit', r));
  await spawned[1].terminate();
  await exited;
  assert.throws(() => pool.run('count_rows', [countsPtr], 16), /the pool is broken: worker 2 exited/);
  // Work small enough for the caller alone still runs.
  pool.run('count_rows', [countsPtr], 1);
});

test('one live pool per memory; the memory is free again after dispose', async () => {
  const memory = createSharedMemory();
  const kernels = await rowsModule();
  const first = await WorkerPool.create({ memory, kernels, threads: 2 });
  await assert.rejects(WorkerPool.create({ memory, kernels, threads: 2 }), /already has a live pool/);
  await first.dispose();
  assert.throws(() => first.run('noop', [], 4), /disposed/);
  const second = await WorkerPool.create({ memory, kernels, threads: 2 });
  second.run('noop', [], 4);
  await second.dispose();
});

test('create rejects a bad thread count', async () => {
  const memory = createSharedMemory();
  for (const threads of [0, 1.5, -1, 100_000]) {
    await assert.rejects(WorkerPool.create({ memory, kernels: await rowsModule(), threads }), /threads must be an integer/);
  }
});
