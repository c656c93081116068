// Activation buffers for one forward pass of up to `maxBatch` tokens, shared by every session
// of a model (forward passes run one at a time on the calling thread).
import type { ModelConfig } from '../arch/config.js';
import type { Arena } from '../runtime/memory.js';

export interface Scratch {
  maxBatch: number;
  ids: number;      // [T] i32
  pos: number;      // [T] i32
  x: number;        // [T, dim]  residual stream
  xb: number;       // [T, dim]  normed input / block output
  q: number;        // [T, H*D]
  k: number;        // [T, Hkv*D]
  v: number;        // [T, Hkv*Dv]
  attn: number;     // [T, H*Dv]
  gate: number;     // [T, ffn]
  up: number;       // [T, ffn]
  logits: number;   // [T, vocab]
}

export function allocScratch(cfg: ModelConfig, arena: Arena, maxBatch: number): Scratch {
  const f = (n: number, what: string) => arena.alloc(n * 4, 64, `scratch ${what}`);
  const T = maxBatch;
  return {
    maxBatch,
    ids: f(T, 'ids'),
    pos: f(T, 'positions'),
    x: f(T * cfg.dim, 'x'),
    xb: f(T * cfg.dim, 'xb'),
    q: f(T * cfg.nHeads * cfg.headDim, 'q'),
    k: f(T * cfg.nKvHeads * cfg.headDim, 'k'),
    v: f(T * cfg.nKvHeads * cfg.headDimV, 'v'),
    attn: f(T * cfg.nHeads * cfg.headDimV, 'attn'),
    gate: f(T * cfg.ffnDim, 'gate'),
    up: f(T * cfg.ffnDim, 'up'),
    logits: f(T * cfg.nVocab, 'logits'),
  };
}
