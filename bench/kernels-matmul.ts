// Matmul kernel benchmark at the SmolLM2-135M shapes: GEMV (T = 1, generation) in GB/s of packed
// weights streamed, and GEMM (T = 128, prefill; 16 for the 49152-row output matrix) in GFLOP/s,
// per format, kernel build and thread count. GEMV cycles through copies of the weight totalling
// ≥ 96 MB, so it streams from DRAM as decode does (one small matrix alone would sit in L2/L3).
// Run: node dist/bench/kernels-matmul.js [--quick] [--json] [--format q8] [--threads 1] [--variant relaxed]
import { performance } from 'node:perf_hooks';
import type { PackedWeight, WeightFormat } from '../src/kernels/types.js';
import { matmulWasm, packedSizeWasm, packWasm, setMatmulTuning } from '../src/kernels/wasm/matmul.js';
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

interface Row { variant: string; threads: number; format: WeightFormat; N: number; K: number; gemvGBs: number; gemvUs: number; gemmGflops: number }

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

/** Median seconds per call over `reps` timed calls after warm-up (time-bounded). */
function time(fn: () => void, minSeconds: number): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const end = performance.now() + minSeconds * 1000;
  while (samples.length < 5 || (performance.now() < end && samples.length < 2000)) {
    const t0 = performance.now();
    fn();
    samples.push((performance.now() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const variant of availableVariants().filter((v) => !onlyVariant || v === onlyVariant)) {
    for (const threads of [1, 2].filter((n) => !onlyThreads || n === Number(onlyThreads))) {
      const fx = await createMatmulFixture(variant, threads, 256 << 20);
      const x = put(fx, randomF32(rng(1), PREFILL_T * 1536));
      const y = fx.arena.alloc(PREFILL_T * 49152 * 4);
      for (const format of FORMATS.filter((f) => !onlyFormat || f === onlyFormat)) {
        for (const [N, K] of SHAPES) {
          if (quick && N === 49152) continue;
          const mark = fx.arena.mark();
          const w = packRandom(fx, format, N, K);
          const copies = [w];
          while (copies.length * w.bytes < STREAM_BYTES) {
            const ptr = fx.arena.alloc(w.bytes);
            fx.views.u8.copyWithin(ptr, w.ptr, w.ptr + w.bytes);
            copies.push({ ...w, ptr });
          }
          let next = 0;
          const gemv = time(() => matmulWasm(fx.ctx, copies[next++ % copies.length], x, y, 1), quick ? 0.1 : 0.3);
          const gemmT = N === 49152 ? 16 : PREFILL_T;
          const gemm = time(() => matmulWasm(fx.ctx, w, x, y, gemmT), quick ? 0.1 : 0.3);
          rows.push({
            variant, threads, format, N, K,
            gemvGBs: w.bytes / gemv / 1e9, gemvUs: gemv * 1e6, gemmGflops: (2 * N * K * gemmT) / gemm / 1e9,
          });
          fx.arena.release(mark);
        }
      }
      await fx.dispose();
    }
  }
  if (asJson) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log('| build | thr | fmt | N×K | GEMV µs | GEMV GB/s | GEMM GFLOP/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.variant} | ${r.threads} | ${r.format} | ${r.N}×${r.K} | ${r.gemvUs.toFixed(1)} | ${r.gemvGBs.toFixed(1)} | ${r.gemmGflops.toFixed(1)} |`);
  }
}

const tb = process.env.TSLLAMA_TOKEN_BLOCK;
if (tb) setMatmulTuning({ tokenBlock: Number(tb) });
await main();
