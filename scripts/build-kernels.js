// Compiles the AssemblyScript kernels to two WASM builds:
//   build/kernels-simd.wasm     (SIMD128, runs everywhere Node 20 does)
//   build/kernels-relaxed.wasm  (adds relaxed SIMD: dot products, fused multiply-add)
// Both import one shared memory (env.memory) so every worker runs over the same weights.
import { execFileSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', '.bin', 'asc');
const entry = join(root, 'kernels', 'index.ts');
mkdirSync(join(root, 'build'), { recursive: true });
if (!existsSync(entry)) {
  console.error('build-kernels: kernels/index.ts not found');
  process.exit(1);
}
const common = [
  entry, '--runtime', 'stub', '--noAssert', '-O3', '--converge',
  '--importMemory', '--sharedMemory', '--initialMemory', '64', '--maximumMemory', '65536',
  '--memoryBase', '1024', '--enable', 'simd', '--enable', 'threads',
];
const variants = [
  { out: 'kernels-simd.wasm', extra: [] },
  { out: 'kernels-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
];
for (const v of variants) {
  execFileSync(asc, [...common, ...v.extra, '--outFile', join(root, 'build', v.out)], { stdio: 'inherit' });
}
console.log('kernels built:', variants.map((v) => 'build/' + v.out).join(', '));
