// The benchmark's synthetic models: one seeded preset written once per format into a cache
// folder ($TSLLAMA_CACHE/bench, else ~/.cache/tsllama/bench), reused by later runs.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../hub/config.js';
import type { QuantMode } from '../model/quant-mode.js';
import { synthesizeModel, type SynthType } from '../synth/synthesize.js';

/** The file format llama.cpp runs for each of our modes: the same weights, in its matching type. */
export const FILE_TYPE_FOR_MODE: Record<QuantMode, SynthType> = { fp32: 'f32', q8: 'q8_0', q4: 'q4_0' };

export function benchCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheDir(env), 'bench');
}

/** Path of the preset in one format, writing it first if absent (seed fixed: same weights every run). */
export function ensureSynthModel(preset: string, type: SynthType, dir: string, seed = 1, log: (s: string) => void = () => {}): string {
  const path = join(dir, `${preset}-seed${seed}-${type}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  log(`writing synthetic ${preset} (${type}) to ${path}`);
  const tmp = `${path}.partial-${process.pid}`;
  synthesizeModel({ preset, seed, type, outPath: tmp });
  renameSync(tmp, path);
  return path;
}
