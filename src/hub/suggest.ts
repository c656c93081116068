// Near matches for "not found" messages: case-insensitive containment first, then small edit distance.

export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Up to `limit` candidates that look like `query`, best first. */
export function nearMatches(query: string, candidates: string[], limit = 3): string[] {
  const q = query.toLowerCase();
  const scored: { c: string; score: number }[] = [];
  for (const c of candidates) {
    const l = c.toLowerCase();
    if (l === q) { scored.push({ c, score: -1 }); continue; }
    if (l.includes(q) || (l.length >= 3 && q.includes(l))) { scored.push({ c, score: 0 }); continue; }
    const d = editDistance(q, l);
    if (d <= Math.max(2, Math.floor(Math.max(q.length, l.length) / 3))) scored.push({ c, score: d });
  }
  scored.sort((x, y) => x.score - y.score || x.c.localeCompare(y.c));
  return scored.slice(0, limit).map((s) => s.c);
}
