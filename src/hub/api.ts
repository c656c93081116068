// The hub's JSON API: a repository's file tree (with sizes and sha256) and model search for suggestions.
import { HubError } from './errors.js';
import { hubGet, statusError, type HttpContext } from './http.js';
import type { RepoFile } from './select.js';
import { nearMatches } from './suggest.js';

/** One entry of GET /api/models/{repo}/tree/{revision}?recursive=true */
interface TreeEntry {
  type: 'file' | 'directory' | string;
  path: string;
  size: number;
  /** git blob id */
  oid: string;
  /** present for files stored with LFS (all large files): oid is the content's sha256 */
  lfs?: { oid: string; size: number; pointerSize?: number };
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

/** All files of a repository at `revision`, following the API's `Link: <…>; rel="next"` pages. */
export async function listRepoFiles(repo: string, revision: string, ctx: HttpContext): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  let url: string | undefined = `${ctx.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  for (let page = 0; url && page < 1000; page++) {
    const res = await hubGet(url, ctx, { accept: 'application/json' });
    if (!res.ok) {
      const err = await statusError(res, { repo, what: `hf:${repo}` }, ctx);
      if (err.kind === 'not-found') throw await withRepoSuggestions(err, repo, ctx);
      throw err;
    }
    let entries: TreeEntry[];
    try {
      entries = (await res.json()) as TreeEntry[];
    } catch {
      throw new HubError('http', `the hub's file list for ${repo} is not valid JSON`);
    }
    if (!Array.isArray(entries)) throw new HubError('http', `the hub's file list for ${repo} is not an array`);
    for (const e of entries) {
      if (e.type !== 'file') continue;
      files.push({
        path: e.path,
        size: e.lfs?.size ?? e.size,
        sha256: e.lfs?.oid,
        gitOid: e.lfs ? undefined : e.oid,
      });
    }
    url = nextLink(res.headers.get('link'), url);
  }
  return files;
}

function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return new URL(m[1], base).toString();
  }
  return undefined;
}

/** Adds "did you mean" repositories from the hub's search (best effort: a failed search adds nothing). */
async function withRepoSuggestions(err: HubError, repo: string, ctx: HttpContext): Promise<HubError> {
  const [user, name] = repo.split('/');
  // The hub's search is a substring match, so a typo finds nothing: also try the same author's repositories.
  const ids = [
    ...(await searchModels(`search=${encodeURIComponent(name)}&limit=20`, ctx)),
    ...(await searchModels(`author=${encodeURIComponent(user)}&limit=100`, ctx)),
  ];
  const near = nearMatches(repo, [...new Set(ids)], 3);
  return near.length ? new HubError('not-found', `${err.message}; did you mean ${near.join(', ')}?`) : err;
}

/** Model ids from GET /api/models?<query>; empty on any failure. */
async function searchModels(query: string, ctx: HttpContext): Promise<string[]> {
  try {
    const res = await hubGet(`${ctx.endpoint}/api/models?${query}`, ctx, { accept: 'application/json' });
    if (!res.ok) { await res.body?.cancel(); return []; }
    const found = (await res.json()) as { id?: string; modelId?: string }[];
    return Array.isArray(found) ? found.map((m) => m.id ?? m.modelId).filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
