// Locates ../shared test data. Tests that need it call `needData(t, ...)`:
// missing data skips the test with a visible reason, or fails it when TSLLAMA_REQUIRE_DATA=1 (CI).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SHARED = process.env.TSLLAMA_SHARED ?? resolve(repoRoot, '..', 'shared');

export function sharedPath(...parts: string[]): string {
  return join(SHARED, ...parts);
}

export const REPO_ROOT = repoRoot;

/** Returns the paths if all exist; otherwise skips (or fails under TSLLAMA_REQUIRE_DATA=1) and returns null. */
export function needData(t: TestContext, ...relPaths: string[]): string[] | null {
  const paths = relPaths.map((p) => sharedPath(p));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return paths;
  const reason = `test data missing: ${missing.join(', ')}`;
  if (process.env.TSLLAMA_REQUIRE_DATA === '1') throw new Error(`${reason} (TSLLAMA_REQUIRE_DATA=1)`);
  t.skip(reason);
  return null;
}
