// Per-architecture tensor names, shapes and hyper-parameter metadata of a synthetic model, as
// llama.cpp's converter would write them. Adding a family = adding an entry to ARCH_LAYOUTS.
// Every family here is the standard decoder block plus a few named variations (see BlockShape).
import { kv, type GGUFWriteKV } from '../gguf/writer.js';
import { headDimOf, type SynthPreset } from './presets.js';

/** How a tensor's random values are drawn (biases and rope factors use 'weight' and 'norm'). */
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

/** The variations of the standard block that llama.cpp's families use. */
interface BlockShape {
  /** attn_{q,k,v}.bias (qwen2). */
  qkvBias?: boolean;
  /** attn_q_norm / attn_k_norm, per head (qwen3, gemma3). */
  qkNorm?: boolean;
  /** post_attention_norm / post_ffw_norm (gemma2, gemma3). */
  postNorms?: boolean;
  /** q, k, v in one attn_qkv tensor; gate and up in one ffn_up of 2·ffn rows (phi3). */
  fused?: boolean;
  /** The family never has output.weight (gemma, gemma2). */
  alwaysTied?: boolean;
  /** Write attention.key_length / value_length (families whose converter does). */
  headLengths?: boolean;
  /** LongRoPE factor tensors rope_factors_{short,long}.weight (phi3) instead of rope_freqs.weight. */
  longRope?: boolean;
}

function metadataOf(p: SynthPreset, shape: BlockShape): GGUFWriteKV[] {
  const a = p.arch;
  const hd = headDimOf(p);
  const out = [
    kv.u32(`${a}.context_length`, p.contextLength),
    kv.u32(`${a}.embedding_length`, p.dim),
    kv.u32(`${a}.block_count`, p.nLayers),
    kv.u32(`${a}.feed_forward_length`, p.ffnDim),
    kv.u32(`${a}.attention.head_count`, p.nHeads),
    kv.u32(`${a}.attention.head_count_kv`, p.nKVHeads),
    kv.f32(`${a}.attention.layer_norm_rms_epsilon`, p.rmsEps),
    kv.f32(`${a}.rope.freq_base`, p.ropeTheta),
    kv.u32(`${a}.rope.dimension_count`, p.ropeDim ?? hd),
    kv.u32(`${a}.vocab_size`, p.vocabSize),
  ];
  if (shape.headLengths) out.push(kv.u32(`${a}.attention.key_length`, hd), kv.u32(`${a}.attention.value_length`, hd));
  if (p.ropeScaleLinear !== undefined) {
    out.push(kv.string(`${a}.rope.scaling.type`, 'linear'), kv.f32(`${a}.rope.scaling.factor`, p.ropeScaleLinear));
  }
  if (shape.longRope && p.ropeFactors) {
    out.push(kv.string(`${a}.rope.scaling.type`, 'longrope'), kv.u32(`${a}.rope.scaling.original_context_length`, p.contextLength));
  }
  if (p.slidingWindow !== undefined) out.push(kv.u32(`${a}.attention.sliding_window`, p.slidingWindow));
  if (p.attnSoftcap !== undefined) out.push(kv.f32(`${a}.attn_logit_softcapping`, p.attnSoftcap));
  if (p.finalSoftcap !== undefined) out.push(kv.f32(`${a}.final_logit_softcapping`, p.finalSoftcap));
  return out;
}

function tensorsOf(p: SynthPreset, shape: BlockShape): TensorSpec[] {
  const hd = headDimOf(p);
  const qDim = p.nHeads * hd; // [dim] → [n_heads · head_dim]
  const kvDim = p.nKVHeads * hd;
  const w = (name: string, dims: number[]): TensorSpec => ({ name, dims, role: 'weight' });
  const norm = (name: string, n: number): TensorSpec => ({ name, dims: [n], role: 'norm' });
  const t: TensorSpec[] = [{ name: 'token_embd.weight', dims: [p.dim, p.vocabSize], role: 'embedding' }];
  if (p.ropeFactors) {
    const n = (p.ropeDim ?? hd) / 2;
    if (shape.longRope) t.push(norm('rope_factors_long.weight', n), norm('rope_factors_short.weight', n));
    else t.push(norm('rope_freqs.weight', n));
  }
  for (let i = 0; i < p.nLayers; i++) {
    const b = `blk.${i}`;
    t.push(norm(`${b}.attn_norm.weight`, p.dim));
    if (shape.fused) {
      t.push(w(`${b}.attn_qkv.weight`, [p.dim, qDim + 2 * kvDim]));
    } else {
      t.push(w(`${b}.attn_q.weight`, [p.dim, qDim]), w(`${b}.attn_k.weight`, [p.dim, kvDim]), w(`${b}.attn_v.weight`, [p.dim, kvDim]));
    }
    if (shape.qkvBias) t.push(w(`${b}.attn_q.bias`, [qDim]), w(`${b}.attn_k.bias`, [kvDim]), w(`${b}.attn_v.bias`, [kvDim]));
    if (shape.qkNorm) t.push(norm(`${b}.attn_q_norm.weight`, hd), norm(`${b}.attn_k_norm.weight`, hd));
    t.push(w(`${b}.attn_output.weight`, [qDim, p.dim]));
    if (shape.postNorms) t.push(norm(`${b}.post_attention_norm.weight`, p.dim));
    t.push(norm(`${b}.ffn_norm.weight`, p.dim));
    if (shape.fused) {
      t.push(w(`${b}.ffn_up.weight`, [p.dim, 2 * p.ffnDim]));
    } else {
      t.push(w(`${b}.ffn_gate.weight`, [p.dim, p.ffnDim]), w(`${b}.ffn_up.weight`, [p.dim, p.ffnDim]));
    }
    t.push(w(`${b}.ffn_down.weight`, [p.ffnDim, p.dim]));
    if (shape.postNorms) t.push(norm(`${b}.post_ffw_norm.weight`, p.dim));
  }
  t.push(norm('output_norm.weight', p.dim));
  if (!p.tiedEmbeddings && !shape.alwaysTied) t.push(w('output.weight', [p.dim, p.vocabSize]));
  return t;
}

function layout(shape: BlockShape): ArchLayout {
  return { metadata: (p) => metadataOf(p, shape), tensors: (p) => tensorsOf(p, shape) };
}

export const ARCH_LAYOUTS: Record<string, ArchLayout> = {
  /** RMSNorm, RoPE, GQA attention without biases, SwiGLU FFN; optional Llama-3 rope_freqs. */
  llama: layout({}),
  /** Ministral 3 text without YaRN / temperature scaling: llama's tensors under another name. */
  mistral3: layout({}),
  qwen2: layout({ qkvBias: true }),
  qwen3: layout({ qkNorm: true, headLengths: true }),
  phi3: layout({ fused: true, longRope: true }),
  gemma: layout({ alwaysTied: true, headLengths: true }),
  gemma2: layout({ alwaysTied: true, headLengths: true, postNorms: true }),
  gemma3: layout({ headLengths: true, qkNorm: true, postNorms: true }),
};
