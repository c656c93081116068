// A short scripted conversation with the model's own chat template. Each turn evaluates only the
// tokens that are new since the last one (the rest of the conversation stays in the KV cache).
//   node dist/examples/chat.js <model.gguf> ["first question" "second question" ...]
// In an application, import from 'tsllama' instead of '../src/index.js'.
import { createChat, loadModel } from '../src/index.js';

const [path, ...questions] = process.argv.slice(2);
if (!path) {
  console.error('usage: node dist/examples/chat.js <model.gguf> ["question" ...]');
  process.exit(2);
}
if (questions.length === 0) questions.push('What is the capital of France?', 'And of Italy?');

const model = await loadModel(path);
const chat = createChat(model, { system: 'You are a helpful assistant. Answer briefly.', contextLength: 2048 });
try {
  for (const question of questions) {
    console.log(`> ${question}`);
    chat.addUser(question);
    const before = chat.session.nEvaluated;
    for await (const { text } of chat.respond({ maxTokens: 128, temp: 0.7, seed: 1 })) process.stdout.write(text);
    const s = chat.session.stats();
    console.log(`\n  [${s.n_prompt} new prompt tokens, ${s.n_gen} generated, ${chat.session.nEvaluated - before} evaluated, ` +
      `${chat.session.nPast}/${chat.session.nCtx} in context; ended by ${chat.lastStopReason}]`);
  }
} finally {
  chat.dispose();
  await model.dispose();
}
