// `tsllama synth <preset> -o <file.gguf>`: write a seeded random-weight model of a named shape.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { createProgress, type Progress } from './progress.js';
import { PRESETS, presetNames } from '../synth/presets.js';
import { SYNTH_TYPES, synthesizeModel, type SynthType } from '../synth/synthesize.js';

const OPTIONS = {
  output: { type: 'string', short: 'o', help: 'the GGUF file to write' },
  seed: { type: 'number', default: 1, help: 'random seed for the weights' },
  type: { type: 'string', default: 'f32', help: `weight type: ${SYNTH_TYPES.join(', ')}` },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

function presetLine(name: string): string {
  const p = PRESETS[name];
  return `  ${name.padEnd(16)} ${p.arch}, vocab ${p.vocabSize}, dim ${p.dim}, ${p.nLayers} layers, ${p.nHeads}/${p.nKVHeads} heads, ffn ${p.ffnDim}${p.tiedEmbeddings ? ', tied embeddings' : ''}`;
}

export const usage = `usage: tsllama synth <preset> -o <file.gguf> [options]

Writes a llama.cpp-compatible GGUF with seeded random weights and a byte-level BPE vocabulary.

presets:
${presetNames().map(presetLine).join('\n')}

options:
${optionsHelp(OPTIONS)}`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  const [preset, ...extra] = positionals;
  if (!preset) throw new UsageError(`synth needs a preset (${presetNames().join(', ')}): tsllama synth <preset> -o <file.gguf>`);
  if (extra.length > 0) throw new UsageError(`synth takes one preset, got extra arguments: ${extra.join(' ')}`);
  if (!(preset in PRESETS)) throw new UsageError(`unknown preset "${preset}" (available: ${presetNames().join(', ')})`);
  if (!options.output) throw new UsageError('synth needs an output file: -o <file.gguf>');
  const type = options.type as SynthType;
  if (!SYNTH_TYPES.includes(type)) throw new UsageError(`unknown --type "${options.type}" (available: ${SYNTH_TYPES.join(', ')})`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new UsageError(`--seed needs an integer, got ${seed}`);

  let progress: Progress | undefined;
  const t0 = performance.now();
  try {
    synthesizeModel({
      preset, seed, type, outPath: options.output,
      onProgress: (done, total) => {
        progress ??= createProgress({ label: `synth ${preset} ${type}`, total, unit: 'count' });
        progress.update(done);
      },
    });
  } catch (e) {
    progress?.fail();
    throw e;
  }
  progress?.done();
  console.error(`wrote ${options.output} (${preset}, ${type}, seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  return 0;
}
