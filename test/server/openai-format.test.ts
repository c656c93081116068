// Stream chunk serialization: the per-token fast path must give exactly JSON.stringify's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newResponseHead, textChunk, textChunkSerializer, type CompletionKind } from '../../src/server/openai-format.js';

test('textChunkSerializer equals JSON.stringify(textChunk(...)) for awkward texts, both kinds', () => {
  const texts = ['', 'plain', ' "quoted" ', 'back\\slash', 'line\nbreak\ttab', '\u0000\u001f ctrl', 'émoji 🦙 ✓',
    '"tsllama_text_slot"', 'tsllama_text_slot', '\ud800 lone surrogate', '</script>'];
  for (const kind of ['text', 'chat'] as CompletionKind[]) {
    for (const model of ['stories260K', 'a "quoted" model', 'tsllama_text_slot']) {
      const head = newResponseHead(kind, model);
      for (const index of [0, 3]) {
        const serialize = textChunkSerializer(kind, head, index);
        for (const text of texts) {
          const want = JSON.stringify(textChunk(kind, head, index, text, null));
          assert.equal(serialize(text), want, `${kind} model=${model} index=${index} text=${JSON.stringify(text)}`);
        }
      }
    }
  }
});
