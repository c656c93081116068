// Matmul kernel benchmark at the SmolLM2-135M shapes: GEMV (T = 1, generation) in GB/s of packed
// weights streamed, and GEMM (T = 128, prefill; 16 for the 49152-row output matrix) in GFLOP/s,
// per format, kernel build and thread count. GEMV cycles through copies of the weight totalling
// ≥ 96 MB, so it streams from DRAM as decode does (one small matrix alone would sit in L2/L3).
//
// Each number is the best of `--rounds` short timings (default 7): on a shared machine the best
// is the least disturbed run. Only V8's optimized code is timed: the benchmark turns off the
// baseline compiler (Liftoff), whose code otherwise runs until the optimized code is ready, a
// variable while into each new function. `--against other.wasm` is the A/B mode: the repo's build (A) and
// that kernel file (B, same exports and layout) run alternately in one process, shape by shape,
// so both see the same machine load.
//
// Run: node dist/bench/kernels-matmul.js [--quick] [--json] [--format q8] [--threads 1]
//        [--variant relaxed] [--rounds 7] [--against /tmp/kernels-relaxed.wasm]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { PackedWeight, WeightFormat } from '../src/kernels/types.js';
import { matmulWasm, packedSizeWasm, packWasm, setMatmulTuning } from '../src/kernels/wasm/matmul.js';
import { kernelModuleFromBytes, type KernelModule, type KernelVariant } from '../src/runtime/kernel-module.js';
import { availableVariants, createMatmulFixture, put, randomF32, randomQ4_0, randomQ8_0, rng, type MatmulFixture } from '../test/kernels/matmul-fixture.js';

// [N, K] of SmolLM2-135M's matrices; 49152 × 576 is the tied output / embedding matrix.
const SHAPES: Array<[number, number]> = [[576, 576], [192, 576], [1536, 576], [576, 1536], [49152, 576]];
const FORMATS: WeightFormat[] = ['f32', 'f16', 'q8', 'q4'];
const PREFILL_T = 128;
const STREAM_BYTES = 96 << 20;

const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const onlyFormat = option('--format');
const onlyThreads = option('--threads');
const onlyVariant = option('--variant');
const rounds = Number(option('--rounds') ?? 7);
const against = option('--against');
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a positive integer, got ${option('--rounds')}`);

interface Row { side: string; variant: string; threads: number; format: WeightFormat; N: number; K: number; gemvGBs: number; gemvUs: number; gemmGflops: number }

/** One kernel build under test with its own memory, pool and activations. */
interface Side { label: string; fx: MatmulFixture; x: number; y: number }

function packRandom(fx: MatmulFixture, format: WeightFormat, N: number, K: number): PackedWeight {
  const rand = rng(N * 7 + K);
  const mark = fx.arena.mark();
  const src = format === 'q8' ? put(fx, randomQ8_0(rand, N, K)) : format === 'q4' ? put(fx, randomQ4_0(rand, N, K)) : put(fx, randomF32(rand, N * K));
  const source = format === 'q8' ? 'q8_0' : format === 'q4' ? 'q4_0' : 'f32';
  // Pack above the source, then move it down so the source's space is reused.
  const tmp = fx.arena.alloc(packedSizeWasm(format, N, K));
  const w = packWasm(fx.ctx, format, source, src, N, K, tmp);
  fx.arena.release(mark);
  const ptr = fx.arena.alloc(w.bytes);
  fx.views.u8.copyWithin(ptr, tmp, tmp + w.bytes);
  return { ...w, ptr };
}

/** The weight and copies of it totalling ≥ STREAM_BYTES (GEMV cycles through them). */
function streamCopies(fx: MatmulFixture, format: WeightFormat, N: number, K: number): PackedWeight[] {
  const w = packRandom(fx, format, N, K);
  const copies = [w];
  while (copies.length * w.bytes < STREAM_BYTES) {
    const ptr = fx.arena.alloc(w.bytes);
    fx.views.u8.copyWithin(ptr, w.ptr, w.ptr + w.bytes);
    copies.push({ ...w, ptr });
  }
  return copies;
}

/** Runs fn for `ms` milliseconds: V8 first runs new WASM code from its baseline compiler and
 * swaps in the optimized code a while later, which untimed calls must cover. */
function warmUp(fn: () => void, ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) fn();
}

/** Mean seconds per call of `calls` calls. */
function timeCalls(fn: () => void, calls: number): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / 1000 / calls;
}

async function createSide(label: string, variant: KernelVariant, threads: number, km?: KernelModule): Promise<Side> {
  const fx = await createMatmulFixture(variant, threads, 256 << 20, km);
  // the matmul's activation scratch, before any per-shape mark (a scratch first allocated above a
  // mark would be released with the shape's weights and then overlap the next shape's)
  fx.ctx.scratch('act', PREFILL_T * 1536 * 4);
  const x = put(fx, randomF32(rng(1), PREFILL_T * 1536)); // [T, K] activations
  const y = fx.arena.alloc(PREFILL_T * 49152 * 4); // [T, N] outputs
  return { label, fx, x, y };
}

async function benchSides(sides: Side[], variant: string, threads: number, rows: Row[]): Promise<void> {
  for (const format of FORMATS.filter((f) => !onlyFormat || f === onlyFormat)) {
    for (const [N, K] of SHAPES) {
      if (quick && N === 49152) continue;
      const marks = sides.map((s) => s.fx.arena.mark());
      const copies = sides.map((s) => streamCopies(s.fx, format, N, K));
      const gemmT = N === 49152 ? 16 : PREFILL_T;
      const gemv = sides.map(() => Infinity);
      const gemm = sides.map(() => Infinity);
      const gemvCalls = Math.max(16, Math.round(2e7 / (N * K))); // ≈ 1 ms and more
      const gemmCalls = quick ? 1 : 3;
      // one closure per side: its copy counter runs on across timings, so GEMV keeps streaming
      // through all copies (restarting at copy 0 would re-read a cache-sized subset)
      const gemvCall = sides.map((s, i) => {
        let next = 0;
        return () => matmulWasm(s.fx.ctx, copies[i][next++ % copies[i].length], s.x, s.y, 1);
      });
      const gemmCall = sides.map((s, i) => () => matmulWasm(s.fx.ctx, copies[i][0], s.x, s.y, gemmT));
      sides.forEach((_, i) => {
        warmUp(gemvCall[i], quick ? 20 : 50);
        warmUp(gemmCall[i], quick ? 20 : 50);
      });
      for (let r = 0; r < rounds; r++) {
        sides.forEach((_, i) => {
          gemv[i] = Math.min(gemv[i], timeCalls(gemvCall[i], gemvCalls));
          gemm[i] = Math.min(gemm[i], timeCalls(gemmCall[i], gemmCalls));
        });
      }
      sides.forEach((s, i) => {
        const bytes = copies[i][0].bytes;
        rows.push({
          side: s.label, variant, threads, format, N, K,
          gemvGBs: bytes / gemv[i] / 1e9, gemvUs: gemv[i] * 1e6, gemmGflops: (2 * N * K * gemmT) / gemm[i] / 1e9,
        });
        s.fx.arena.release(marks[i]);
      });
    }
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  let bKernels: KernelModule | undefined;
  if (against) {
    const variant = (onlyVariant ?? (against.includes('simd') ? 'simd' : 'relaxed')) as KernelVariant;
    bKernels = kernelModuleFromBytes(readFileSync(against), variant, against);
  }
  const variants = bKernels ? [bKernels.variant] : availableVariants().filter((v) => !onlyVariant || v === onlyVariant);
  for (const variant of variants) {
    for (const threads of [1, 2].filter((n) => !onlyThreads || n === Number(onlyThreads))) {
      const sides = [await createSide(bKernels ? 'A' : '', variant, threads)];
      if (bKernels) sides.push(await createSide('B', variant, threads, bKernels));
      try {
        await benchSides(sides, variant, threads, rows);
      } finally {
        for (const s of sides) await s.fx.dispose();
      }
    }
  }
  if (asJson) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  if (bKernels) console.log(`A = the repo's build, B = ${against}; best of ${rounds} alternating rounds\n`);
  console.log(`|${bKernels ? ' side |' : ''} build | thr | fmt | N×K | GEMV µs | GEMV GB/s | GEMM GFLOP/s |`);
  console.log(`|${bKernels ? '---|' : ''}---|---|---|---|---|---|---|`);
  for (const r of rows) {
    const side = bKernels ? ` ${r.side} |` : '';
    console.log(`|${side} ${r.variant} | ${r.threads} | ${r.format} | ${r.N}×${r.K} | ${r.gemvUs.toFixed(1)} | ${r.gemvGBs.toFixed(1)} | ${r.gemmGflops.toFixed(1)} |`);
  }
}

v8.setFlagsFromString('--no-liftoff'); // before any kernel module is compiled
const tb = process.env.TSLLAMA_TOKEN_BLOCK;
if (tb) setMatmulTuning({ tokenBlock: Number(tb) });
await main();
