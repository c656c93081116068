// Models for the library-API tests: the seeded tiny synthetic llama (ChatML template, BPE vocab with
// <|im_start|>/<|im_end|>) written once per test file, and stories260K from the shared data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeModel } from '../../src/synth/synthesize.js';
import { loadModel, type Model } from '../../src/index.js';
import type { LoadOptions } from '../../src/model/model.js';

/** One thread, fp32 weights: deterministic and fast on the tiny shapes used here. */
export const TEST_LOAD: LoadOptions = { backend: 'wasm', quant: 'fp32', threads: 1 };

/** Writes the tiny synthetic chat model into a fresh temp dir; call cleanup() when done. */
export function writeTinyChatModel(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-api-'));
  const path = join(dir, 'tiny.gguf');
  synthesizeModel({ preset: 'tiny', seed: 1, type: 'f32', outPath: path });
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function loadTestModel(path: string, opts: LoadOptions = {}): Promise<Model> {
  return loadModel(path, { ...TEST_LOAD, ...opts });
}

/** All ids of a generate()/respond() stream (the trailing text-only flush, id -1, left out). */
export async function collectIds(stream: AsyncIterable<{ id: number }>): Promise<number[]> {
  const ids: number[] = [];
  for await (const t of stream) if (t.id >= 0) ids.push(t.id);
  return ids;
}
