// Per-architecture tensor names, shapes and hyper-parameter metadata of a synthetic model, as
// llama.cpp's converter would write them. Adding a family = adding an entry to ARCH_LAYOUTS.
import { kv, type GGUFWriteKV } from '../gguf/writer.js';
import { headDimOf, type SynthPreset } from './presets.js';

/** How a tensor's random values are drawn. */
export type TensorRole = 'embedding' | 'weight' | 'norm';

export interface TensorSpec {
  name: string;
  /** ggml order: dims[0] is the row length (input features). */
  dims: number[];
  role: TensorRole;
}

export interface ArchLayout {
  metadata(p: SynthPreset): GGUFWriteKV[];
  tensors(p: SynthPreset): TensorSpec[];
}

/** Llama: RMSNorm, RoPE, GQA attention without biases, SwiGLU FFN. */
const llama: ArchLayout = {
  metadata(p) {
    const a = p.arch;
    return [
      kv.u32(`${a}.context_length`, p.contextLength),
      kv.u32(`${a}.embedding_length`, p.dim),
      kv.u32(`${a}.block_count`, p.nLayers),
      kv.u32(`${a}.feed_forward_length`, p.ffnDim),
      kv.u32(`${a}.attention.head_count`, p.nHeads),
      kv.u32(`${a}.attention.head_count_kv`, p.nKVHeads),
      kv.f32(`${a}.attention.layer_norm_rms_epsilon`, p.rmsEps),
      kv.f32(`${a}.rope.freq_base`, p.ropeTheta),
      kv.u32(`${a}.rope.dimension_count`, headDimOf(p)),
      kv.u32(`${a}.vocab_size`, p.vocabSize),
    ];
  },
  tensors(p) {
    const hd = headDimOf(p);
    const qDim = p.nHeads * hd; // [dim] → [n_heads · head_dim]
    const kvDim = p.nKVHeads * hd;
    const t: TensorSpec[] = [{ name: 'token_embd.weight', dims: [p.dim, p.vocabSize], role: 'embedding' }];
    for (let i = 0; i < p.nLayers; i++) {
      const b = `blk.${i}`;
      t.push(
        { name: `${b}.attn_norm.weight`, dims: [p.dim], role: 'norm' },
        { name: `${b}.attn_q.weight`, dims: [p.dim, qDim], role: 'weight' },
        { name: `${b}.attn_k.weight`, dims: [p.dim, kvDim], role: 'weight' },
        { name: `${b}.attn_v.weight`, dims: [p.dim, kvDim], role: 'weight' },
        { name: `${b}.attn_output.weight`, dims: [qDim, p.dim], role: 'weight' },
        { name: `${b}.ffn_norm.weight`, dims: [p.dim], role: 'norm' },
        { name: `${b}.ffn_gate.weight`, dims: [p.dim, p.ffnDim], role: 'weight' },
        { name: `${b}.ffn_up.weight`, dims: [p.dim, p.ffnDim], role: 'weight' },
        { name: `${b}.ffn_down.weight`, dims: [p.ffnDim, p.dim], role: 'weight' },
      );
    }
    t.push({ name: 'output_norm.weight', dims: [p.dim], role: 'norm' });
    if (!p.tiedEmbeddings) t.push({ name: 'output.weight', dims: [p.dim, p.vocabSize], role: 'weight' });
    return t;
  },
};

export const ARCH_LAYOUTS: Record<string, ArchLayout> = {
  llama,
};
