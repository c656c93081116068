// Non-matmul kernels: rmsnorm, rope, attention, activations, elementwise ops, f16 KV stores, top-k.
// Semantics follow src/kernels/types.ts; the TS glue is src/kernels/wasm/ops.ts.
export * from './ops_norm_rope';
export * from './ops_attention';
export * from './ops_elementwise';
export * from './ops_sampling';
