// The synthetic `tiny` model must load and run in llama.cpp (through node-llama-cpp's CPU prebuilt):
// metadata, tensor shapes and the BPE vocabulary are all checked by llama.cpp's loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeModel, type SynthType } from '../../src/synth/synthesize.js';
import { buildBpeVocab } from '../../src/synth/vocab.js';

test('llama.cpp loads, tokenizes with and evaluates the tiny synth model (f32, f16, q8_0, q4_0)', async (t) => {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-nlc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error });
  const vocab = buildBpeVocab(1024);
  // Text made of merged tokens, which BPE should cover with fewer tokens than bytes.
  const text = vocab.tokens.slice(259, 280).join('').replaceAll('Ġ', ' ');
  try {
    for (const type of ['f32', 'f16', 'q8_0', 'q4_0'] as SynthType[]) {
      const modelPath = join(dir, `tiny-${type}.gguf`);
      synthesizeModel({ preset: 'tiny', type, seed: 3, outPath: modelPath });
      const model = await llama.loadModel({ modelPath });
      try {
        assert.equal(model.fileInfo.tensorInfo?.length, 21);
        assert.equal(model.trainContextSize, 512);
        const ids = model.tokenize(text);
        assert.ok(ids.length > 0 && ids.length < text.length, `${type}: ${ids.length} tokens for ${text.length} chars`);
        assert.equal(model.detokenize(ids), text);
        assert.deepEqual([...model.tokenize('<|im_start|>', true)], [1], 'control token parsed as special');
        const context = await model.createContext({ contextSize: 64, threads: 1 }); // one thread: no spinning workers on a busy machine
        try {
          const generated: number[] = [];
          for await (const id of context.getSequence().evaluate(ids.slice(0, 8))) {
            generated.push(id as number);
            if (generated.length === 4) break;
          }
          assert.equal(generated.length, 4);
          for (const id of generated) assert.ok(id >= 0 && id < 1024, `${type}: token id ${id}`);
        } finally {
          await context.dispose();
        }
      } finally {
        await model.dispose();
      }
    }
  } finally {
    await llama.dispose();
  }
});
