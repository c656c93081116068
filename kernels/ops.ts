// Non-matmul kernels: rmsnorm, rope, kv store, attention, activations. See src/kernels/types.ts.
export function ops_placeholder(): void {}
