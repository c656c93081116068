// Matmul kernels (pack layout, GEMV, GEMM) for f32 / f16 / q8 / q4. See src/kernels/types.ts and
// src/kernels/wasm/matmul.ts (the TypeScript side: packing, embed, threading).
//   matmul_common.ts  packed layout, shared SIMD helpers, f16 rounding
//   matmul_act.ts     Q8_0 activation quantization (q8 / q4)
//   matmul_quant.ts   q8 / q4 kernels
//   matmul_float.ts   f32 kernels (also run the f16 format: f16 values in f32 panels)
//   matmul_pack.ts    load-time f32 → q8 / q4 quantization into panels
//   matmul_many.ts    matmuls sharing activations as one row space (one fork-join)
export { round_f16_rows } from './matmul_common';
export { quantize_act_q8 } from './matmul_act';
export { matmul_q8, matmul_q4 } from './matmul_quant';
export { matmul_f32 } from './matmul_float';
export { matmul_many } from './matmul_many';
export { pack_q8_from_f32, pack_q4_from_f32 } from './matmul_pack';
