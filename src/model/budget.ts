// Memory arithmetic before loading: weights + KV cache + scratch must fit wasm32's 4 GiB.
import type { ModelConfig } from '../arch/config.js';
import type { GGUFFile } from '../gguf/types.js';
import type { Kernels, KVType } from '../kernels/types.js';
import { MAX_BYTES, MemoryBudgetError, ARENA_BASE, mib } from '../runtime/memory.js';
import { chooseFormat, type QuantMode } from './quant-mode.js';

export interface MemoryBudget {
  weights: number;
  /** Largest temporary region while loading one tensor (raw bytes + f32 dequant). */
  loadTemp: number;
  kvPerSession: number;
  scratch: number;
  total: number;
}

export function kvBytes(cfg: ModelConfig, nCtx: number, kvType: KVType): number {
  const el = kvType === 'f32' ? 4 : 2;
  return cfg.nLayers * nCtx * cfg.nKvHeads * (cfg.headDim + cfg.headDimV) * el;
}

export function scratchBytes(cfg: ModelConfig, maxBatch: number): number {
  const qDim = cfg.nHeads * Math.max(cfg.headDim, cfg.headDimV);
  const kvDim = cfg.nKvHeads * Math.max(cfg.headDim, cfg.headDimV);
  const perToken = 3 * cfg.dim + 2 * qDim + 2 * kvDim + 2 * cfg.ffnDim;
  // activations + quantized activations + logits for the whole batch
  return maxBatch * perToken * 4 + maxBatch * Math.max(cfg.dim, cfg.ffnDim, qDim) * 2 + maxBatch * cfg.nVocab * 4 + (1 << 20);
}

export function planMemory(file: GGUFFile, cfg: ModelConfig, kernels: Kernels, mode: QuantMode, nCtx: number, kvType: KVType, maxBatch: number): MemoryBudget {
  let weights = 0;
  let loadTemp = 0;
  for (const t of file.tensors) {
    if (t.dims.length >= 2) {
      const cols = t.dims[0];
      const rows = t.nElements / cols;
      const isOutput = t.name === 'output.weight' || (cfg.tiedEmbeddings && t.name === 'token_embd.weight');
      weights += kernels.packedSize(chooseFormat(mode, t.type, cols, isOutput), rows, cols) + 64;
    } else {
      weights += t.nElements * 4 + 64;
    }
    loadTemp = Math.max(loadTemp, t.nBytes + t.nElements * 4 + 128);
  }
  const kvPerSession = kvBytes(cfg, nCtx, kvType);
  const scratch = scratchBytes(cfg, maxBatch);
  const total = ARENA_BASE + weights + loadTemp + kvPerSession + scratch;
  if (total > MAX_BYTES) {
    throw new MemoryBudgetError(
      `${file.path}: model too large for WASM's 4 GiB memory: weights ${mib(weights)} (${mode}) + KV cache ${mib(kvPerSession)} (context ${nCtx}, ${kvType}) + scratch ${mib(scratch)} + load buffer ${mib(loadTemp)} = ${mib(total)} > 4096 MiB. Try --quant q4, a smaller --ctx, or a smaller model.`,
    );
  }
  return { weights, loadTemp, kvPerSession, scratch, total };
}
