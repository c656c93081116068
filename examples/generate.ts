// Stream a completion from a prompt and print the generation statistics.
//   node dist/examples/generate.js <model.gguf> ["prompt"]
// In an application, import from 'tsllama' instead of '../src/index.js'.
import { loadModel } from '../src/index.js';

const [path, prompt = 'Once upon a time'] = process.argv.slice(2);
if (!path) {
  console.error('usage: node dist/examples/generate.js <model.gguf> ["prompt"]');
  process.exit(2);
}

const model = await loadModel(path, { quant: 'q8' });
const session = model.createSession({ contextLength: 512 });
try {
  process.stdout.write(prompt);
  for await (const { text } of session.generate(prompt, { maxTokens: 64, temp: 0.8, topP: 0.95, seed: 42 })) {
    process.stdout.write(text);
  }
  process.stdout.write('\n');
  const s = session.stats();
  console.error(`stopped by: ${session.lastStopReason}; ${s.n_prompt} prompt tokens at ${s.prefill_tps.toFixed(0)} t/s, ` +
    `${s.n_gen} generated at ${s.gen_tps.toFixed(0)} t/s, first token after ${(s.ttft_s * 1000).toFixed(0)} ms`);
} finally {
  session.dispose();
  await model.dispose();
}
