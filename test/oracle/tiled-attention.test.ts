// llama.cpp runs a prompt batch of ≥ 64 tokens through its tiled flash attention (f32 q and
// accumulator, 64-key tiles) when the head dim allows (src/kernels/attention-path.ts); we mirror
// that switch. Checked against this machine's llama.cpp on a 120-token prompt of the tiny synth
// model (head dim 16): logits at every position within 5e-5 (measured ~1e-5; the per-key f16
// numerics would be ~1e-4 off), with both kernel backends.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadModel } from '../../src/index.js';
import { usesTiledAttention } from '../../src/kernels/attention-path.js';
import { synthesizeModel } from '../../src/synth/synthesize.js';
import { disposeLlamaCpp, llamaCppAvailable, llamaCppLogits, shiftInvariantError } from '../helpers/llamacpp.js';

const PROMPT = Array.from({ length: 120 }, (_, i) => 1 + ((i * 37 + 11) % 1000));
const TOL = 5e-5;

after(() => disposeLlamaCpp());

test('a 120-token prompt (llama.cpp tiled attention) matches llama.cpp at every position', async (t) => {
  const ok = await llamaCppAvailable();
  if (ok !== true) {
    if (process.env.TSLLAMA_REQUIRE_LLAMACPP === '1') throw new Error(ok as string);
    t.skip(ok as string);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-tiled-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tiny.gguf');
  synthesizeModel({ preset: 'tiny', type: 'f32', seed: 1, outPath: path });
  const ref = await llamaCppLogits(path, PROMPT);
  for (const backend of ['wasm', 'scalar'] as const) {
    const model = await loadModel(path, { quant: 'fp32', backend, threads: 1, contextLength: 256 });
    try {
      assert.ok(usesTiledAttention(PROMPT.length, model.config.headDim), 'the case must take the tiled path');
      const session = model.createSession({ contextLength: 256 });
      const V = model.config.nVocab;
      const ids = Array.from({ length: V }, (_, i) => i);
      const all = session.eval(PROMPT, { allLogits: true });
      let worst = 0;
      ref.forEach((r, p) => {
        const err = shiftInvariantError(all.subarray(p * V, (p + 1) * V), r, ids);
        worst = Math.max(worst, err);
        assert.ok(err <= TOL, `${backend}: logits at position ${p} differ by ${err.toExponential(2)} (tolerance ${TOL})`);
      });
      t.diagnostic(`${backend}: largest logit difference ${worst.toExponential(2)} over ${PROMPT.length} positions`);
      session.dispose();
    } finally {
      await model.dispose();
    }
  }
});
