// The standard transformer's weights by llama.cpp tensor name. Biases are picked up when present
// (llama.cpp's create_tensor_qkv makes them optional for every family); QK norms and post norms
// are required when the architecture's config says it has them and ignored otherwise, as
// llama.cpp's per-family tensor lists do. Fused tensors (phi3's attn_qkv, gate+up in ffn_up)
// were already exposed under these names by the architecture (src/arch/fused-tensors.ts).
import type { ModelConfig } from '../arch/config.js';
import type { TensorLoader } from './tensor-loader.js';
import type { LayerWeights, ModelWeights } from './weights.js';

export function loadStandardWeights(cfg: ModelConfig, L: TensorLoader): ModelWeights {
  const { dim, nHeads, nKvHeads, headDim, headDimV, ffnDim, nVocab } = cfg;
  const tokEmbd = L.matrix('token_embd.weight', { rows: nVocab, cols: dim }, cfg.tiedEmbeddings);
  const layers: LayerWeights[] = [];
  const ifFlag = (flag: boolean, name: string, length: number) => (flag ? L.vector(name, length) : undefined);
  for (let i = 0; i < cfg.nLayers; i++) {
    const b = (s: string) => `blk.${i}.${s}`;
    layers.push({
      attnNorm: L.vector(b('attn_norm.weight'), dim),
      wq: L.matrix(b('attn_q.weight'), { rows: nHeads * headDim, cols: dim }),
      wk: L.matrix(b('attn_k.weight'), { rows: nKvHeads * headDim, cols: dim }),
      wv: L.matrix(b('attn_v.weight'), { rows: nKvHeads * headDimV, cols: dim }),
      wo: L.matrix(b('attn_output.weight'), { rows: dim, cols: nHeads * headDimV }),
      bq: L.optionalVector(b('attn_q.bias'), nHeads * headDim),
      bk: L.optionalVector(b('attn_k.bias'), nKvHeads * headDim),
      bv: L.optionalVector(b('attn_v.bias'), nKvHeads * headDimV),
      bo: L.optionalVector(b('attn_output.bias'), dim),
      qNorm: ifFlag(cfg.qkNorm, b('attn_q_norm.weight'), headDim),
      kNorm: ifFlag(cfg.qkNorm, b('attn_k_norm.weight'), headDim),
      postAttnNorm: ifFlag(cfg.postNorms, b('post_attention_norm.weight'), dim),
      ffnNorm: L.vector(b('ffn_norm.weight'), dim),
      wGate: L.matrix(b('ffn_gate.weight'), { rows: ffnDim, cols: dim }),
      wUp: L.matrix(b('ffn_up.weight'), { rows: ffnDim, cols: dim }),
      wDown: L.matrix(b('ffn_down.weight'), { rows: dim, cols: ffnDim }),
      postFfnNorm: ifFlag(cfg.postNorms, b('post_ffw_norm.weight'), dim),
    });
  }
  const outputNorm = L.vector('output_norm.weight', dim);
  const output = cfg.tiedEmbeddings ? tokEmbd : L.matrix('output.weight', { rows: nVocab, cols: dim }, true);
  const ropeFreqs = L.optionalVector(cfg.ropeFreqsTensor, cfg.ropeDim / 2);
  return { tokEmbd, outputNorm, output, ropeFreqs, layers };
}
