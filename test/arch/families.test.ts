// Every built-in family against llama.cpp (node-llama-cpp, in process) on its seeded synthetic
// model (src/synth/presets.ts): logits at every prompt position within the family's stated
// tolerance, and greedy ids equal for 32 tokens except where llama.cpp's top-2 gap is a near-tie.
// In fp32 on the f32 file and in q8 on the Q8_0 file, with the scalar and the WASM kernels.
//
// Tolerances: the largest difference over the whole vocabulary after removing the per-position
// shift (llama.cpp's values are log-probabilities). Observed on seed 1 (scalar and WASM kernels):
//   - llama, llama3, mistral3, qwen2, phi3: ≤ 2e-5 fp32, ≤ 1e-6 q8 (the same Q8_0 blocks and
//     activation rounding as ggml) → 1e-4. Dropping llama-3's rope_freqs moves logits by 7e-4.
//   - qwen3: per-head QK norms make attention scores large, so ±1-ulp rope rounding differences
//     flip f16 roundings of q/k: 1.3e-4 fp32, 1.1e-2 q8 (q8 activation rounding amplifies it).
//   - gemma family: llama.cpp's CPU GeGLU reads GELU from an f16 table (ggml_vec_geglu_f32) where
//     our kernels compute it exactly: gemma 8e-6 / 3e-3 (fp32 / q8), gemma2 6e-4 / 2e-2, gemma3
//     1.7e-3 / 4e-2 (post norms amplify it). With the table mirrored (checked by patching the
//     scalar kernel) all three agree to ~1e-6 in fp32.
// Feature ablations land far outside these bounds: gemma2 without post norms 1.6, without its
// sliding window 0.8; gemma3 with the global rope base on local layers 0.35, without linear rope
// scaling on global layers 0.09; qwen3 without QK norm 0.4; qwen2 with normal rope 7.5e-3.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { QuantMode } from '../../src/model/quant-mode.js';
import { synthesizeModel, type SynthType } from '../../src/synth/synthesize.js';
import { disposeLlamaCpp, llamaCppAvailable } from '../helpers/llamacpp.js';
import { firstDivergence, reference, runOurs, type Backend } from './parity.js';

interface Family { preset: string; arch: string; tol: Record<'fp32' | 'q8', number> }

const FAMILIES: Family[] = [
  { preset: 'tiny', arch: 'llama', tol: { fp32: 1e-4, q8: 1e-4 } },
  { preset: 'llama3-tiny', arch: 'llama', tol: { fp32: 1e-4, q8: 1e-4 } },
  { preset: 'mistral3-tiny', arch: 'mistral3', tol: { fp32: 1e-4, q8: 1e-4 } },
  { preset: 'qwen2-tiny', arch: 'qwen2', tol: { fp32: 1e-4, q8: 1e-4 } },
  { preset: 'qwen3-tiny', arch: 'qwen3', tol: { fp32: 5e-4, q8: 5e-2 } },
  { preset: 'phi3-tiny', arch: 'phi3', tol: { fp32: 1e-4, q8: 1e-4 } },
  { preset: 'gemma-tiny', arch: 'gemma', tol: { fp32: 1e-4, q8: 1e-2 } },
  { preset: 'gemma2-tiny', arch: 'gemma2', tol: { fp32: 1e-4, q8: 1e-2 } },
  { preset: 'gemma3-tiny', arch: 'gemma3', tol: { fp32: 2e-3, q8: 1e-2 } },
];

const SEED = 1;
const QUANTS: { quant: QuantMode & ('fp32' | 'q8'); file: SynthType }[] = [{ quant: 'fp32', file: 'f32' }, { quant: 'q8', file: 'q8_0' }];
const BACKENDS: Backend[] = ['scalar', 'wasm'];

let dir = '';
let skipReason: string | null = null;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsllama-arch-'));
  const ok = await llamaCppAvailable();
  if (ok !== true) skipReason = String(ok);
});
after(async () => {
  await disposeLlamaCpp();
  rmSync(dir, { recursive: true, force: true });
});

for (const fam of FAMILIES) {
  describe(`${fam.arch} (${fam.preset}) matches llama.cpp`, () => {
    for (const { quant, file } of QUANTS) {
      test(`${quant} on the ${file} file`, async (t) => {
        if (skipReason) { t.skip(skipReason); return; }
        const path = join(dir, `${fam.preset}-${file}.gguf`);
        synthesizeModel({ preset: fam.preset, seed: SEED, type: file, outPath: path });
        const ref = await reference(path);
        const tol = fam.tol[quant];
        assert.ok(ref.greedy.ids.length >= 16, `llama.cpp produced only ${ref.greedy.ids.length} greedy tokens (end of generation); pick another seed`);
        const notes: string[] = [];
        for (const backend of BACKENDS) {
          const ours = await runOurs(path, quant, backend, ref);
          ours.logitErr.forEach((err, p) => {
            assert.ok(err <= tol, `${backend}: logits at prompt position ${p} differ by ${err.toExponential(2)} (tolerance ${tol})`);
          });
          // A greedy step may flip only where llama.cpp's top-2 gap is within twice the logit tolerance.
          const d = firstDivergence(ours.greedy, ref.greedy.ids);
          if (d >= 0) {
            assert.ok(ref.greedy.top2Gap[d] < 2 * tol,
              `${backend}: greedy ids diverge at step ${d} (ours ${ours.greedy[d]}, llama.cpp ${ref.greedy.ids[d]}) where llama.cpp's top-2 gap is ${ref.greedy.top2Gap[d]}`);
          }
          notes.push(`${backend}: max logit err ${Math.max(...ours.logitErr).toExponential(1)}, greedy ${d < 0 ? `${ours.greedy.length}/${ref.greedy.ids.length}` : `near-tie at ${d}`}`);
        }
        t.diagnostic(notes.join('; '));
      });
    }
  });
}
