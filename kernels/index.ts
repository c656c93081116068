// AssemblyScript kernel entry: re-exports every kernel module.
export function kernels_version(): i32 { return 1; }
