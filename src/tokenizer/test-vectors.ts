// Reader for llama.cpp's tokenizer test vectors (ggml-vocab-NAME.gguf.inp / .out, see tests/test-tokenizer-0.cpp):
// .inp holds texts each followed by "\n__ggml_vocab_test__\n"; .out one line of " id id ..." per text.
import { readFileSync } from 'node:fs';

export const VOCAB_TEST_SEPARATOR = '\n__ggml_vocab_test__\n';

export interface TokenizerTestCase { text: string; ids: number[] }

/** Texts of an .inp file: a trailing separator adds no empty test; text after the last separator is one. */
export function parseVocabTestInputs(content: string): string[] {
  const texts: string[] = [];
  let pos = 0;
  for (;;) {
    const at = content.indexOf(VOCAB_TEST_SEPARATOR, pos);
    if (at < 0) {
      if (pos < content.length) texts.push(content.slice(pos));
      return texts;
    }
    texts.push(content.slice(pos, at));
    pos = at + VOCAB_TEST_SEPARATOR.length;
  }
}

/** Id lists of an .out file, one per line (an empty line is an empty list). */
export function parseVocabTestOutputs(content: string): number[][] {
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.trim() === '' ? [] : l.trim().split(' ').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n)) throw new Error(`bad token id "${x}" in test vector output`);
    return n;
  })));
}

/** The cases of `<ggufPath>.inp` / `.out` (paths may be given explicitly for vocabs stored elsewhere). */
export function readVocabTestCases(inpPath: string, outPath: string): TokenizerTestCase[] {
  const texts = parseVocabTestInputs(readFileSync(inpPath, 'utf8'));
  const ids = parseVocabTestOutputs(readFileSync(outPath, 'utf8'));
  if (texts.length !== ids.length) throw new Error(`${inpPath}: ${texts.length} texts but ${outPath} has ${ids.length} lines`);
  return texts.map((text, i) => ({ text, ids: ids[i] }));
}
