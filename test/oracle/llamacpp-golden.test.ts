// node-llama-cpp as an oracle: (1) this machine's llama.cpp reproduces ../shared/golden (made by
// llama.cpp 80fb11a elsewhere), (2) our engine agrees with it on the same files.
//
// Tolerances are shift-invariant (node-llama-cpp yields log-probabilities, i.e. logits up to a
// constant per position) and were measured with bench/numerics-probe.ts:
//  - llama.cpp vs goldens, flash attention on, prompt as one batch: ≤ 6e-5 (the goldens' 6
//    significant digits) on short prompts except one fp32 position at 2.2e-4; the 279-token prompt drifts after ~56 positions
//    (fp32, up to 6e-3) / ~84 (q4_0, up to 7e-2) — f16 rounding in the attention's V accumulator
//    amplifies ulp-level differences in the f32 sums (see docs/benchmarks.md, "numerics").
//  - ours vs llama.cpp: fp32 within 3e-3 on short prompts (±1 ulp matmul noise alone moves our own
//    logits by up to 3e-3 there); quantized modes within 0.25.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { loadModel } from '../../src/index.js';
import type { QuantMode } from '../../src/model/quant-mode.js';
import { needData } from '../helpers/data.js';
import { readGolden } from '../helpers/golden.js';
import { disposeLlamaCpp, llamaCppAvailable, llamaCppGreedy, llamaCppLogits, llamaCppTokenize, shiftInvariantError } from '../helpers/llamacpp.js';

const FILES: { model: string; golden: string; quant: QuantMode; oursTol: number }[] = [
  { model: 'models/stories260K.gguf', golden: 'golden/stories260K.json', quant: 'fp32', oursTol: 3e-3 },
  { model: 'models/stories260K-q8_0.gguf', golden: 'golden/stories260K-q8_0.json', quant: 'q8', oursTol: 0.25 },
  { model: 'models/stories260K-q4_0.gguf', golden: 'golden/stories260K-q4_0.json', quant: 'q4', oursTol: 0.25 },
];
/** llama.cpp vs the goldens on prompts short enough not to drift (all but the 279-token one). */
const GOLDEN_TOL = 5e-4;
const SHORT = 64;

after(() => disposeLlamaCpp());

async function skipUnlessLlamaCpp(t: { skip(msg: string): void }): Promise<boolean> {
  const ok = await llamaCppAvailable();
  if (ok === true) return true;
  if (process.env.TSLLAMA_REQUIRE_LLAMACPP === '1') throw new Error(ok as string);
  t.skip(ok as string);
  return false;
}

describe('llama.cpp (node-llama-cpp) reproduces the goldens', () => {
  for (const f of FILES) {
    test(`${f.model}: prompt logits at every position`, async (t) => {
      const paths = needData(t, f.model, f.golden);
      if (!paths || !(await skipUnlessLlamaCpp(t))) return;
      const golden = readGolden(paths[1]);
      const worst: string[] = [];
      for (const c of golden.cases) {
        const rows = await llamaCppLogits(paths[0], c.prompt_ids, { flashAttention: true });
        assert.equal(rows.length, c.prompt_ids.length);
        assert.equal(rows[0].length, golden.n_vocab);
        let max = 0;
        for (let p = 0; p < rows.length; p++) {
          const ref = c.prompt_logits_top10[p];
          const dense = new Float32Array(golden.n_vocab);
          for (const [id, v] of ref) dense[id] = v;
          const e = shiftInvariantError(rows[p], dense, ref.map(([id]) => id));
          max = Math.max(max, e);
          if (c.prompt_ids.length <= SHORT) assert.ok(e <= GOLDEN_TOL, `${JSON.stringify(c.prompt)} position ${p}: off by ${e}`);
        }
        worst.push(`${c.prompt_ids.length} tok: ${max.toExponential(1)}`);
      }
      t.diagnostic(`largest shift-invariant error per case: ${worst.join(', ')}`);
    });
  }

  test('greedy ids and tokenization', async (t) => {
    const paths = needData(t, FILES[0].model, FILES[0].golden);
    if (!paths || !(await skipUnlessLlamaCpp(t))) return;
    const golden = readGolden(paths[1]);
    for (const c of golden.cases.slice(0, 3)) {
      assert.deepEqual([1, ...(await llamaCppTokenize(paths[0], c.prompt))], c.prompt_ids, `tokens of ${JSON.stringify(c.prompt)}`);
      const r = await llamaCppGreedy(paths[0], c.prompt_ids, 16);
      assert.deepEqual(r.ids, c.greedy_ids.slice(0, r.ids.length), `greedy ids after ${JSON.stringify(c.prompt)}`);
      // Gaps agree to the decode path's own f16 noise (measured ≤ 6e-3).
      for (let i = 0; i < r.ids.length; i++) assert.ok(Math.abs(r.top2Gap[i] - c.greedy_top2_gap[i]) < 1e-2, `gap at step ${i}`);
    }
  });
});

describe('our engine agrees with llama.cpp on the same files', () => {
  for (const f of FILES) {
    test(`${f.model} (${f.quant}, scalar kernels)`, async (t) => {
      const paths = needData(t, f.model, f.golden);
      if (!paths || !(await skipUnlessLlamaCpp(t))) return;
      const golden = readGolden(paths[1]);
      const model = await loadModel(paths[0], { quant: f.quant, backend: 'scalar', threads: 1, contextLength: 64 });
      try {
        const allIds = Array.from({ length: golden.n_vocab }, (_, i) => i);
        for (const c of golden.cases.filter((x) => x.prompt_ids.length <= SHORT)) {
          const ref = await llamaCppLogits(paths[0], c.prompt_ids, { flashAttention: true });
          const s = model.createSession({ contextLength: 64 });
          const ours = s.eval(c.prompt_ids, { allLogits: true });
          s.dispose();
          const nV = golden.n_vocab;
          for (let p = 0; p < c.prompt_ids.length; p++) {
            const e = shiftInvariantError(ours.subarray(p * nV, (p + 1) * nV), ref[p], allIds);
            assert.ok(e <= f.oursTol, `${JSON.stringify(c.prompt)} position ${p}: ours vs llama.cpp off by ${e} (tolerance ${f.oursTol})`);
          }
        }
      } finally {
        await model.dispose();
      }
    });
  }
});
