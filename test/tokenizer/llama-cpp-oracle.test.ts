// Differential test against llama.cpp itself (the node-llama-cpp dev dependency bundles it): tricky strings and
// a 20 KB text through every vocab present, with parse_special off and on, must give identical ids.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { englishText } from '../../bench/tokenizer-bench.js';
import { loadTokenizerFromPath } from '../../src/tokenizer/index.js';
import { needData } from '../helpers/data.js';

/** Strings that exercise the pre-tokenizers' corners: whitespace runs, contractions, digits, scripts, specials. */
const TRICKY_TEXTS = [
  'Hello  world\t\tfoo\n\n\n  bar', "I'm 12345 years' old!!  ", '  ÄÖÜ ñ ç 日本語のテキスト 🙂🤖 ',
  '<s>x</s> <|endoftext|><|im_start|>y<|im_end|> <unk>', 'a\u00a0b\u3000c\u2028d\u0085e', 'x\u0301\u0301 e\u0301 \u0301',
  "don't WON'T y'ALL 're 'S", 'αβγ ΑΒΓ Привет мир 한국어', '1234567890 3.14159 1,000,000', '    indented code();\n\treturn x;\r\n\r\n',
  '\uFEFFbom ﬁne ① İstanbul', '   ', '\n', '',
];

type LlamaModule = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<LlamaModule['getLlama']>>;
let llama: Llama | null = null;
let loadError = '';

before(async () => {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  try {
    const { getLlama } = await import('node-llama-cpp');
    llama = await getLlama({ build: 'never', gpu: false, logLevel: 'error' as never });
  } catch (e) {
    loadError = (e as Error).message;
  }
});
after(async () => { await llama?.dispose(); });

const VOCABS = ['llama-spm', 'phi-3', 'baichuan', 'bert-bge', 'gpt-2', 'gpt-neox', 'mpt', 'falcon', 'starcoder', 'refact', 'deepseek-coder', 'deepseek-llm'];

for (const name of VOCABS) {
  test(`same ids as llama.cpp: ${name}`, async (t) => {
    const paths = needData(t, `models/vocab/ggml-vocab-${name}.gguf`);
    if (!paths) return;
    if (!llama) { t.skip(`node-llama-cpp unavailable: ${loadError}`); return; }
    const model = await llama.loadModel({ modelPath: paths[0], vocabOnly: true });
    try {
      const tok = loadTokenizerFromPath(paths[0]);
      const texts = [...TRICKY_TEXTS, englishText(20_000, 11) + TRICKY_TEXTS.join(' ')];
      for (const text of texts) {
        for (const parseSpecial of [false, true]) {
          const want = Array.from(model.tokenize(text, parseSpecial));
          const got = tok.encode(text, { addSpecial: false, parseSpecial });
          assert.deepEqual(got, want, `${name} parseSpecial=${parseSpecial}: ${JSON.stringify(text.slice(0, 50))}`);
        }
      }
      assert.equal(tok.eos, model.tokens.eos);
      assert.equal(tok.eot, model.tokens.eot);
    } finally {
      await model.dispose();
    }
  });
}

