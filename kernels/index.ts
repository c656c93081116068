// AssemblyScript kernel entry: re-exports every kernel module.
// Convention: a kernel that the thread pool splits takes its row range [r0, r1) as its last two arguments.
export * from './matmul';
export * from './ops';
