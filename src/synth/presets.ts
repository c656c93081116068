// Shapes of the synthetic models `tsllama synth` can write. A preset is data: the architecture name
// (which selects the tensor/metadata layout in arch-layouts.ts) plus hyper-parameters.

export interface SynthPreset {
  /** Key into ARCH_LAYOUTS and the value of general.architecture. */
  arch: string;
  vocabSize: number;
  /** n_embd */
  dim: number;
  nLayers: number;
  nHeads: number;
  nKVHeads: number;
  /** feed_forward_length */
  ffnDim: number;
  contextLength: number;
  rmsEps: number;
  ropeTheta: number;
  /** No output.weight: the output projection reuses token_embd. */
  tiedEmbeddings: boolean;
  /** Defaults to dim / nHeads. */
  headDim?: number;
  /** Rotated dims per head (rope.dimension_count); defaults to the head size. */
  ropeDim?: number;
  /** Per-pair rope frequency factors: rope_freqs.weight (llama 3), rope_factors_{short,long} (phi3). */
  ropeFactors?: boolean;
  /** Linear rope scaling factor (rope.scaling.type linear). */
  ropeScaleLinear?: number;
  /** attention.sliding_window */
  slidingWindow?: number;
  /** attn_logit_softcapping / final_logit_softcapping (gemma2, gemma3). */
  attnSoftcap?: number;
  finalSoftcap?: number;
  /** tokenizer.ggml.pre */
  tokenizerPre: string;
  chatTemplate?: string;
}

/** ChatML, as SmolLM2-Instruct and Qwen use. */
const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const PRESETS: Record<string, SynthPreset> = {
  tiny: {
    arch: 'llama', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 192,
    contextLength: 512, rmsEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
  'smollm2-135m': {
    arch: 'llama', vocabSize: 49152, dim: 576, nLayers: 30, nHeads: 9, nKVHeads: 3, ffnDim: 1536,
    contextLength: 8192, rmsEps: 1e-5, ropeTheta: 100000, tiedEmbeddings: true,
    tokenizerPre: 'smollm', chatTemplate: CHATML_TEMPLATE,
  },
  // One small shape per family (dim 64, vocab 1024), with that family's tensor names and metadata
  // keys, exercising what sets it apart. Logit parity with llama.cpp: test/arch/families.test.ts.
  'llama3-tiny': {
    arch: 'llama', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 128,
    contextLength: 512, rmsEps: 1e-5, ropeTheta: 500000, tiedEmbeddings: true, ropeFactors: true,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
  'mistral3-tiny': {
    arch: 'mistral3', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 1, ffnDim: 128,
    contextLength: 512, rmsEps: 1e-5, ropeTheta: 1000000, tiedEmbeddings: false,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
  'qwen2-tiny': {
    arch: 'qwen2', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 128,
    contextLength: 512, rmsEps: 1e-6, ropeTheta: 1000000, tiedEmbeddings: true,
    tokenizerPre: 'qwen2', chatTemplate: CHATML_TEMPLATE,
  },
  'qwen3-tiny': {
    arch: 'qwen3', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 128, headDim: 32,
    contextLength: 512, rmsEps: 1e-6, ropeTheta: 1000000, tiedEmbeddings: true,
    tokenizerPre: 'qwen2', chatTemplate: CHATML_TEMPLATE,
  },
  'phi3-tiny': {
    arch: 'phi3', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 128, ropeDim: 12,
    contextLength: 512, rmsEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false, ropeFactors: true,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
  'gemma-tiny': {
    arch: 'gemma', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 1, ffnDim: 128, headDim: 32,
    contextLength: 512, rmsEps: 1e-6, ropeTheta: 10000, tiedEmbeddings: true,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
  'gemma2-tiny': {
    arch: 'gemma2', vocabSize: 1024, dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 128,
    contextLength: 512, rmsEps: 1e-6, ropeTheta: 10000, tiedEmbeddings: true,
    slidingWindow: 6, attnSoftcap: 0.03, finalSoftcap: 1.5,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
  'gemma3-tiny': {
    arch: 'gemma3', vocabSize: 1024, dim: 64, nLayers: 6, nHeads: 4, nKVHeads: 2, ffnDim: 128, headDim: 32,
    contextLength: 512, rmsEps: 1e-6, ropeTheta: 1000000, ropeScaleLinear: 8, tiedEmbeddings: true,
    slidingWindow: 6,
    tokenizerPre: 'default', chatTemplate: CHATML_TEMPLATE,
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function headDimOf(p: SynthPreset): number {
  return p.headDim ?? p.dim / p.nHeads;
}
