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
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function headDimOf(p: SynthPreset): number {
  return p.headDim ?? p.dim / p.nHeads;
}
