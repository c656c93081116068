// Embed a few sentences and print how similar each pair is (cosine of the unit vectors).
//   node dist/examples/embed.js <model.gguf> ["sentence" ...]
// Generative models give usable but weak embeddings; an embedding model (pooling_type in its GGUF) does better.
// In an application, import from 'tsllama' instead of '../src/index.js'.
import { cosineSimilarity, loadModel } from '../src/index.js';

const [path, ...texts] = process.argv.slice(2);
if (!path) {
  console.error('usage: node dist/examples/embed.js <model.gguf> ["sentence" ...]');
  process.exit(2);
}
if (texts.length === 0) texts.push('The cat sat on the mat.', 'A kitten was sitting on the rug.', 'Stock markets fell sharply today.');

const model = await loadModel(path);
try {
  const vectors = await model.embed(texts, { pooling: 'mean' }); // each [dim], unit length
  console.log(`${vectors.length} embeddings of dimension ${vectors[0].length}`);
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      console.log(`${cosineSimilarity(vectors[i], vectors[j]).toFixed(3)}  ${JSON.stringify(texts[i])} ~ ${JSON.stringify(texts[j])}`);
    }
  }
} finally {
  await model.dispose();
}
