// A session's KV cache: per layer, K and V rows [nCtx, Hkv*D] in f16 (default) or f32.
import type { ModelConfig } from '../arch/config.js';
import type { KVType } from '../kernels/types.js';

export interface KVCache {
  kvType: KVType;
  nCtx: number;
  /** Per layer: K cache [nCtx, Hkv*D] */
  k: number[];
  /** Per layer: V cache [nCtx, Hkv*Dv] */
  v: number[];
  /** The whole region (for returning it to the model's pool). */
  region: { ptr: number; bytes: number };
}

export function layoutKVCache(cfg: ModelConfig, nCtx: number, kvType: KVType, ptr: number, bytes: number): KVCache {
  const el = kvType === 'f32' ? 4 : 2;
  const kBytes = align64(nCtx * cfg.nKvHeads * cfg.headDim * el);
  const vBytes = align64(nCtx * cfg.nKvHeads * cfg.headDimV * el);
  const k: number[] = [];
  const v: number[] = [];
  let p = ptr;
  for (let l = 0; l < cfg.nLayers; l++) {
    k.push(p); p += kBytes;
    v.push(p); p += vBytes;
  }
  if (p - ptr > bytes) throw new Error('KV cache region too small');
  return { kvType, nCtx, k, v, region: { ptr, bytes } };
}

export function kvRegionBytes(cfg: ModelConfig, nCtx: number, kvType: KVType): number {
  const el = kvType === 'f32' ? 4 : 2;
  return cfg.nLayers * (align64(nCtx * cfg.nKvHeads * cfg.headDim * el) + align64(nCtx * cfg.nKvHeads * cfg.headDimV * el));
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Validates a KV cache precision from options or the command line. */
export function parseKvType(v: string): KVType {
  if (v === 'f16' || v === 'f32') return v;
  throw new Error(`unknown KV cache type "${v}" (expected f16 or f32)`);
}
