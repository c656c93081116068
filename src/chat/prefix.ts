// How many leading token ids two sequences share: the part of a re-rendered conversation
// whose KV cache can be kept.

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
