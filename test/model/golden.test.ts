// Parity with llama.cpp on real models (../shared/golden): prompt ids, prompt logits at every
// position, and greedy continuations (token-exact except at llama.cpp near-ties, gap < 0.01).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadModel } from '../../src/index.js';
import type { QuantMode } from '../../src/model/quant-mode.js';
import { needData, sharedPath } from '../helpers/data.js';
import { compareGreedy, logitError, readGolden } from '../helpers/golden.js';

/**
 * Tolerances on logits: |ours - llama.cpp| ≤ atol + rtol·|ref| (logits here are of size ~10-20).
 * fp32: most positions agree to 5e-5; the 279-token prompt drifts to ~9e-3 late in the batch.
 * q8/q4: most positions agree to 5e-5, but from some position on a prompt can shift by up to
 * ~0.25 (see the closing note of the engine-core issue: llama.cpp's quantized path is not mirrored
 * bit for bit, and an 8-bit activation rounding that differs moves whole rows).
 */
const TOL: Record<QuantMode, { atol: number; rtol: number; nearTie: number }> = {
  fp32: { atol: 2e-2, rtol: 0, nearTie: 0.01 },
  q8: { atol: 0.35, rtol: 0, nearTie: 0.1 },
  q4: { atol: 0.35, rtol: 0, nearTie: 0.1 },
};

const CASES: { model: string; golden: string; quant: QuantMode; greedy: boolean }[] = [
  { model: 'models/stories260K.gguf', golden: 'golden/stories260K.json', quant: 'fp32', greedy: true },
  { model: 'models/stories260K-q8_0.gguf', golden: 'golden/stories260K-q8_0.json', quant: 'q8', greedy: true },
  { model: 'models/stories260K-q4_0.gguf', golden: 'golden/stories260K-q4_0.json', quant: 'q4', greedy: true },
  // Random weights: greedy gaps are ~1e-3, so judged on logits only (per golden/README.md).
  { model: 'models/llama-2-tiny-random.gguf', golden: 'golden/llama-2-tiny-random.json', quant: 'fp32', greedy: false },
];

const BACKENDS = (process.env.TSLLAMA_GOLDEN_BACKENDS ?? 'wasm,scalar').split(',') as ('wasm' | 'scalar')[];

for (const backend of BACKENDS) {
  describe(`golden parity with llama.cpp (${backend} kernels)`, () => {
    for (const c of CASES) {
      test(`${c.model} ${c.quant}`, async (t) => {
        const paths = needData(t, c.model, c.golden);
        if (!paths) return;
        const golden = readGolden(paths[1]);
        const model = await loadModel(paths[0], { quant: c.quant, backend, threads: 2, contextLength: 512 });
        try {
          const tol = TOL[c.quant];
          const report: string[] = [];
          for (const g of golden.cases) {
            // Tokenizer: prompt ids equal llama.cpp's.
            assert.deepEqual(model.encode(g.prompt, { addSpecial: g.add_bos }), g.prompt_ids, `prompt ids of ${JSON.stringify(g.prompt)}`);

            const session = model.createSession({ contextLength: 512 });
            const nV = golden.n_vocab;
            const all = session.eval(g.prompt_ids, { allLogits: true });
            for (let p = 0; p < g.prompt_ids.length; p++) {
              const e = logitError(all, p * nV, g.prompt_logits_top10[p], tol.atol, tol.rtol);
              assert.ok(e.worst <= 1, `${g.prompt}: logits at position ${p} differ by ${e.maxAbs} (tolerance ${tol.atol} + ${tol.rtol}·|x|)`);
            }
            if (g.last_prompt_logits) {
              const last = g.last_prompt_logits.map((v, id) => [id, v] as [number, number]);
              const e = logitError(all, (g.prompt_ids.length - 1) * nV, last, tol.atol, tol.rtol);
              assert.ok(e.worst <= 1, `${g.prompt}: full last-position logits differ by up to ${e.maxAbs}`);
            }
            if (c.greedy) {
              const ids: number[] = [];
              for await (const tok of session.generate([], { maxTokens: g.greedy_ids.length })) if (tok.id >= 0) ids.push(tok.id);
              // generate() stops before an end-of-generation token; llama.cpp's list includes it.
              const cmp = compareGreedy(ids, g.greedy_ids.filter((id) => !model.tokenizer.isEog(id)), g.greedy_top2_gap);
              if (cmp.divergedAt >= 0) {
                assert.ok(cmp.gapAtDivergence < tol.nearTie,
                  `${g.prompt}: greedy ids diverge at step ${cmp.divergedAt} where llama.cpp's top-2 gap is ${cmp.gapAtDivergence} (not a near-tie)`);
              }
              report.push(`${JSON.stringify(g.prompt)}: ${cmp.matched}/${g.greedy_ids.length} steps${cmp.divergedAt >= 0 ? ` (near-tie at ${cmp.divergedAt})` : ''}`);
            }
            session.dispose();
          }
          if (report.length) t.diagnostic(report.join('; '));
        } finally {
          await model.dispose();
        }
      });
    }
  });
}
