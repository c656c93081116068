// Matmul kernels (pack, GEMV, GEMM, embed) for f32 / f16 / q8 / q4. See src/kernels/types.ts.
export function matmul_placeholder(): void {}
