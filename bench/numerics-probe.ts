// Numerics probe (run by hand): which llama.cpp code paths produced ../shared/golden, and what our
// scalar oracle would need to agree with them.
//
//   node dist/bench/numerics-probe.js [llama|ours|versus|sensitivity|all] [--models fp32,q8,q4]
//     [--variants mirror,fma,...] [--matmul exact|lanes] [--swiglu exact|f32|v512|v256]
//
// "llama": node-llama-cpp (this machine's llama.cpp build) under several context settings vs the goldens.
// "ours":  our scalar engine with each attention variant (bench/numerics/attention-variants.ts) vs the
//          goldens: prefill logits at every position, and teacher-forced decode steps (golden greedy
//          ids fed one at a time) compared on the top-2 gap.
// "versus": our engine vs this machine's llama.cpp at full precision over the whole vocabulary.
// "sensitivity": our engine vs itself with ±1 ulp noise on every matmul output (the chaos floor).
// Errors are shift-invariant over each position's golden top-10 ids (node-llama-cpp gives log-probs).
import { existsSync } from 'node:fs';
import { loadModel } from '../src/index.js';
import type { QuantMode } from '../src/model/quant-mode.js';
import { sharedPath } from '../test/helpers/data.js';
import { readGolden, type Golden, type GoldenCase } from '../test/helpers/golden.js';
import { disposeLlamaCpp, llamaCppAvailable, llamaCppGreedy, llamaCppLogits, shiftInvariantError, top2, type LlamaCppOptions } from '../test/helpers/llamacpp.js';
import { useMatmulJitter, type MatmulVariant } from './numerics/matmul-variants.js';
import { SWIGLU_VARIANTS, useSwigluVariant, type SwigluVariant } from './numerics/swiglu-variants.js';
import { ATTENTION_VARIANTS, useAttentionVariant, type AttentionVariant } from './numerics/attention-variants.js';

const MODELS: Record<string, { file: string; golden: string; quant: QuantMode }> = {
  fp32: { file: 'models/stories260K.gguf', golden: 'golden/stories260K.json', quant: 'fp32' },
  q8: { file: 'models/stories260K-q8_0.gguf', golden: 'golden/stories260K-q8_0.json', quant: 'q8' },
  q4: { file: 'models/stories260K-q4_0.gguf', golden: 'golden/stories260K-q4_0.json', quant: 'q4' },
};
/** A position "deviates" past this shift-invariant error. */
const DEVIATES = 1e-3;

interface PrefillSummary { max: number; firstDeviating: number; nDeviating: number }

function prefillErrors(rows: ArrayLike<number>[], c: GoldenCase): PrefillSummary {
  let max = 0;
  let firstDeviating = -1;
  let nDeviating = 0;
  rows.forEach((row, p) => {
    const ref = c.prompt_logits_top10[p];
    const dense: Record<number, number> = {};
    for (const [id, v] of ref) dense[id] = v;
    const e = shiftInvariantError(row, dense as unknown as ArrayLike<number>, ref.map(([id]) => id));
    max = Math.max(max, e);
    if (e > DEVIATES) { nDeviating++; if (firstDeviating < 0) firstDeviating = p; }
  });
  return { max, firstDeviating, nDeviating };
}

function fmt(s: PrefillSummary, n: number): string {
  return `max ${s.max.toExponential(1)}${s.firstDeviating >= 0 ? `, ${s.nDeviating}/${n} > ${DEVIATES} from ${s.firstDeviating}` : ''}`;
}

/** Largest |gap - golden gap| over the steps, and the mean. */
function gapErrors(gaps: number[], golden: number[]): { max: number; mean: number } {
  const n = Math.min(gaps.length, golden.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) { const d = Math.abs(gaps[i] - golden[i]); max = Math.max(max, d); sum += d; }
  return { max, mean: n ? sum / n : 0 };
}

async function probeLlama(names: string[]): Promise<void> {
  const ok = await llamaCppAvailable();
  if (ok !== true) { console.log(`llama.cpp: skipped (${ok})`); return; }
  const configs: [string, LlamaCppOptions][] = [
    ['FA on, whole prompt', { flashAttention: true }],
    ['FA off, whole prompt', { flashAttention: false }],
    ['FA on, batch 64', { flashAttention: true, batchSize: 64 }],
    ['FA on, batch 1 (decode path)', { flashAttention: true, batchSize: 1 }],
    ['FA on, 2 threads', { flashAttention: true, threads: 2 }],
    ['FA on, context 2048', { flashAttention: true, contextSize: 2048 }],
  ];
  for (const name of names) {
    const m = MODELS[name];
    const golden = readGolden(sharedPath(m.golden));
    console.log(`\n## llama.cpp (node-llama-cpp) vs ${m.golden}`);
    for (const [label, opts] of configs) {
      const parts: string[] = [];
      for (const [i, c] of golden.cases.entries()) {
        const rows = await llamaCppLogits(sharedPath(m.file), c.prompt_ids, opts);
        parts.push(`#${i} (${c.prompt_ids.length} tok) ${fmt(prefillErrors(rows, c), rows.length)}`);
      }
      console.log(`- ${label}: ${parts.join('; ')}`);
    }
    const greedy: string[] = [];
    for (const [i, c] of golden.cases.entries()) {
      const r = await llamaCppGreedy(sharedPath(m.file), c.prompt_ids, c.greedy_ids.length, { flashAttention: true });
      const same = r.ids.findIndex((id, k) => id !== c.greedy_ids[k]);
      const e = gapErrors(r.top2Gap, c.greedy_top2_gap);
      greedy.push(`#${i} ids ${same < 0 ? 'equal' : `diverge at ${same}`}, gap err max ${e.max.toExponential(1)} mean ${e.mean.toExponential(1)}`);
    }
    console.log(`- greedy (FA on): ${greedy.join('; ')}`);
  }
  await disposeLlamaCpp();
}

/** Our decode gaps, teacher-forced on the golden greedy ids. */
function teacherForcedGaps(session: { eval(ids: number[]): Float32Array }, c: GoldenCase, last: Float32Array): number[] {
  const gaps: number[] = [];
  let logits = last;
  for (const id of c.greedy_ids) {
    const [a, b] = top2(logits);
    gaps.push(logits[a] - logits[b]);
    logits = session.eval([id]);
  }
  return gaps;
}

async function probeOurs(names: string[], variants: AttentionVariant[]): Promise<void> {
  for (const name of names) {
    const m = MODELS[name];
    const golden: Golden = readGolden(sharedPath(m.golden));
    console.log(`\n## ours (scalar, ${m.quant}) vs ${m.golden}`);
    const model = await loadModel(sharedPath(m.file), { quant: m.quant, backend: 'scalar', threads: 1, contextLength: 512 });
    try {
      for (const v of variants) {
        useAttentionVariant(v);
        const parts: string[] = [];
        for (const [i, c] of golden.cases.entries()) {
          const s = model.createSession({ contextLength: 512 });
          const all = s.eval(c.prompt_ids, { allLogits: true });
          const nV = golden.n_vocab;
          const rows = c.prompt_ids.map((_, p) => all.subarray(p * nV, (p + 1) * nV));
          const pre = prefillErrors(rows, c);
          const gaps = teacherForcedGaps(s, c, rows[rows.length - 1]);
          const g = gapErrors(gaps, c.greedy_top2_gap);
          parts.push(`#${i} prefill ${fmt(pre, rows.length)}, decode gap err max ${g.max.toExponential(1)}`);
          s.dispose();
        }
        console.log(`- ${v}: ${parts.join('; ')}`);
      }
    } finally {
      useAttentionVariant('mirror');
      await model.dispose();
    }
  }
}

/** Ours vs this machine's llama.cpp at full precision (all ids), prefill of every golden prompt. */
async function probeVersus(names: string[], variants: AttentionVariant[]): Promise<void> {
  const ok = await llamaCppAvailable();
  if (ok !== true) { console.log(`llama.cpp: skipped (${ok})`); return; }
  for (const name of names) {
    const m = MODELS[name];
    const golden = readGolden(sharedPath(m.golden));
    console.log(`\n## ours (scalar, ${m.quant}) vs llama.cpp (FA on, whole prompt), all ${golden.n_vocab} ids`);
    const refs: Float32Array[][] = [];
    for (const c of golden.cases) refs.push(await llamaCppLogits(sharedPath(m.file), c.prompt_ids, { flashAttention: true }));
    const allIds = Array.from({ length: golden.n_vocab }, (_, i) => i);
    const model = await loadModel(sharedPath(m.file), { quant: m.quant, backend: 'scalar', threads: 1, contextLength: 512 });
    try {
      for (const v of variants) {
        useAttentionVariant(v);
        const parts: string[] = [];
        for (const [i, c] of golden.cases.entries()) {
          const s = model.createSession({ contextLength: 512 });
          const all = s.eval(c.prompt_ids, { allLogits: true });
          s.dispose();
          const errs = c.prompt_ids.map((_, p) => shiftInvariantError(all.subarray(p * golden.n_vocab, (p + 1) * golden.n_vocab), refs[i][p], allIds));
          const first = errs.findIndex((e) => e > 1e-4);
          parts.push(`#${i} max ${Math.max(...errs).toExponential(1)}${first >= 0 ? ` (> 1e-4 from ${first})` : ''}`);
        }
        console.log(`- ${v}: ${parts.join('; ')}`);
      }
    } finally {
      useAttentionVariant('mirror');
      await model.dispose();
    }
  }
  await disposeLlamaCpp();
}

/**
 * Sensitivity: our engine against itself with every matmul output moved by ±1 ulp (three seeds).
 * The spread is the floor below which no implementation can be expected to agree with llama.cpp
 * without copying its summation order.
 */
async function probeSensitivity(names: string[], matmulVariant: MatmulVariant): Promise<void> {
  for (const name of names) {
    const m = MODELS[name];
    const golden = readGolden(sharedPath(m.golden));
    const nV = golden.n_vocab;
    const allIds = Array.from({ length: nV }, (_, i) => i);
    console.log(`\n## sensitivity of ours (scalar, ${m.quant}) to ±1 ulp matmul noise`);
    const model = await loadModel(sharedPath(m.file), { quant: m.quant, backend: 'scalar', threads: 1, contextLength: 512 });
    try {
      const run = (c: GoldenCase, seed: number): { pre: Float32Array; gaps: number[] } => {
        useMatmulJitter(seed, matmulVariant);
        const s = model.createSession({ contextLength: 512 });
        const pre = s.eval(c.prompt_ids, { allLogits: true });
        const gaps = teacherForcedGaps(s, c, pre.subarray(pre.length - nV));
        s.dispose();
        return { pre, gaps };
      };
      const parts: string[] = [];
      for (const [i, c] of golden.cases.entries()) {
        const base = run(c, 0);
        let maxPre = 0;
        let maxGap = 0;
        let first = Infinity;
        for (const seed of [1, 2, 3]) {
          const r = run(c, seed);
          c.prompt_ids.forEach((_, p) => {
            const e = shiftInvariantError(base.pre.subarray(p * nV, (p + 1) * nV), r.pre.subarray(p * nV, (p + 1) * nV), allIds);
            maxPre = Math.max(maxPre, e);
            if (e > 1e-4) first = Math.min(first, p);
          });
          maxGap = Math.max(maxGap, gapErrors(r.gaps, base.gaps).max);
        }
        parts.push(`#${i} prefill ${maxPre.toExponential(1)}${first < Infinity ? ` (> 1e-4 from ${first})` : ''}, decode gap ${maxGap.toExponential(1)}`);
      }
      console.log(`- ${parts.join('; ')}`);
    } finally {
      useMatmulJitter(0, matmulVariant);
      await model.dispose();
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const section = argv.find((a) => !a.startsWith('--') && !argv[argv.indexOf(a) - 1]?.startsWith('--')) ?? 'all';
  const opt = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const names = (opt('models') ?? 'fp32,q8,q4').split(',');
  for (const n of names) if (!MODELS[n]) throw new Error(`unknown model "${n}" (expected ${Object.keys(MODELS).join(', ')})`);
  const variants = (opt('variants') ?? ATTENTION_VARIANTS.join(',')).split(',') as AttentionVariant[];
  for (const v of variants) if (!ATTENTION_VARIANTS.includes(v)) throw new Error(`unknown variant "${v}" (expected ${ATTENTION_VARIANTS.join(', ')})`);
  for (const n of names) {
    if (!existsSync(sharedPath(MODELS[n].file))) throw new Error(`test data missing: ${sharedPath(MODELS[n].file)}`);
  }
  const matmul = (opt('matmul') ?? 'exact') as MatmulVariant;
  if (matmul !== 'exact' && matmul !== 'lanes') throw new Error(`unknown --matmul "${matmul}" (expected exact or lanes)`);
  useMatmulJitter(0, matmul);
  const swiglu = (opt('swiglu') ?? 'exact') as SwigluVariant;
  if (!SWIGLU_VARIANTS.includes(swiglu)) throw new Error(`unknown --swiglu "${swiglu}" (expected ${SWIGLU_VARIANTS.join(', ')})`);
  useSwigluVariant(swiglu);
  if (section === 'llama' || section === 'all') await probeLlama(names);
  if (section === 'ours' || section === 'all') await probeOurs(names, variants);
  if (section === 'versus' || section === 'all') await probeVersus(names, variants);
  if (section === 'sensitivity' || section === 'all') await probeSensitivity(names, matmul);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
