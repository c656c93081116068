// The local model cache. Layout under `<cacheDir>/models/`:
//   <user>/<repo>/<path in repo>         files from hf: references
//   _url/<host>/<path>                   files from other URLs
// Each complete file has a `<file>.meta.json` sidecar (reference, source, sha256); downloads in progress are
// `<file>.part` (+ `<file>.lock`). Hub user names never start with "_", so `_url` cannot collide.
import { readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { readGGUF } from '../gguf/reader.js';
import type { HubConfig } from './config.js';
import { readPartTotal } from './download.js';
import { HubError } from './errors.js';
import { baseName, selectFile, type RepoFile } from './select.js';
import { parseRefFor, type HfRef, type ModelRef } from './ref.js';

export interface CacheMeta {
  /** Canonical reference: hf:user/repo/file.gguf or the URL. */
  ref: string;
  url: string;
  size: number;
  sha256: string;
  pulledAt: string;
}

export interface CachedModel {
  /** File name, e.g. SmolLM2-135M-Instruct-Q8_0.gguf */
  name: string;
  /** hf:user/repo/file.gguf, or the source URL. */
  ref: string;
  path: string;
  bytes: number;
  /** general.architecture from the GGUF header ("?" when unreadable); absent for partial downloads. */
  arch?: string;
  /** A .part file: a download that has not finished (`bytes` so far, `total` when known). */
  partial: boolean;
  total?: number;
}

export function modelsDir(cfg: HubConfig): string {
  return join(cfg.cacheDir, 'models');
}

export function hfRepoDir(cfg: HubConfig, repo: string): string {
  const [user, name] = repo.split('/');
  return join(modelsDir(cfg), user, name);
}

export function hfFilePath(cfg: HubConfig, repo: string, file: string): string {
  return join(hfRepoDir(cfg, repo), ...file.split('/'));
}

export function urlFilePath(cfg: HubConfig, url: URL): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  const segments = url.pathname.split('/').filter(Boolean).map((s) => safe(decodeURIComponent(s)));
  return join(modelsDir(cfg), '_url', safe(url.host), ...segments);
}

export function metaPath(file: string): string {
  return `${file}.meta.json`;
}

export function readMeta(file: string): CacheMeta | undefined {
  try {
    return JSON.parse(readFileSync(metaPath(file), 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}

export function writeMeta(file: string, meta: CacheMeta): void {
  writeFileSync(metaPath(file), JSON.stringify(meta, null, 2) + '\n');
}

function isFile(p: string): boolean {
  try { return statSync(p).isFile(); } catch { return false; }
}

/** Complete .gguf files under `dir`, paths relative to it with `/` separators. */
function walkGguf(dir: string, partial = false): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let names: string[];
    try { names = readdirSync(d); } catch { return; }
    for (const n of names.sort()) {
      const p = join(d, n);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) visit(p);
      else if (/\.gguf$/i.test(n) || (partial && /\.gguf\.part$/i.test(n))) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  visit(dir);
  return out;
}

/** The cached files of one hf repository, as RepoFiles for the same tag rules the hub listing uses. */
export function cachedRepoFiles(cfg: HubConfig, repo: string): RepoFile[] {
  const dir = hfRepoDir(cfg, repo);
  return walkGguf(dir).map((path) => {
    const full = join(dir, ...path.split('/'));
    return { path, size: statSync(full).size, sha256: readMeta(full)?.sha256 };
  });
}

/** The cached file for a reference, or undefined. Never touches the network. */
export function findCached(cfg: HubConfig, ref: ModelRef): string | undefined {
  if (ref.kind === 'url') {
    const p = urlFilePath(cfg, ref.url);
    return isFile(p) ? p : undefined;
  }
  return findCachedHf(cfg, ref);
}

function findCachedHf(cfg: HubConfig, ref: HfRef): string | undefined {
  if (ref.file) {
    const p = hfFilePath(cfg, ref.repo, ref.file);
    return isFile(p) ? p : undefined;
  }
  const files = cachedRepoFiles(cfg, ref.repo);
  if (files.length === 0) return undefined;
  try {
    return hfFilePath(cfg, ref.repo, selectFile(files, ref.repo, ref.tag).file.path);
  } catch {
    return undefined; // no cached file fits the tag
  }
}

function readArch(path: string): string {
  try {
    const v = readGGUF(path, { readArrays: false }).metadata.get('general.architecture');
    return typeof v === 'string' ? v : '?';
  } catch {
    return '?';
  }
}

function refFor(cfg: HubConfig, path: string): string {
  const meta = readMeta(path.replace(/\.part$/, ''));
  if (meta) return meta.ref;
  const rel = relative(modelsDir(cfg), path).split(sep);
  if (rel[0] === '_url') return `${rel.slice(1).join('/')}`;
  return `hf:${rel.join('/')}`.replace(/\.part$/, '');
}

/** Every model in the cache (partial downloads included, flagged), sorted by reference. */
export function listCached(cfg: HubConfig, opts: { arch?: boolean } = {}): CachedModel[] {
  const wantArch = opts.arch ?? true;
  const root = modelsDir(cfg);
  const models: CachedModel[] = [];
  for (const rel of walkGguf(root, true)) {
    const path = join(root, ...rel.split('/'));
    const partial = rel.endsWith('.part');
    const bytes = statSync(path).size;
    const name = baseName(rel).replace(/\.part$/, '');
    const total = partial ? readPartTotal(path.replace(/\.part$/, '')) : bytes;
    models.push({ name, ref: refFor(cfg, path), path, bytes, partial, total, arch: partial || !wantArch ? undefined : readArch(path) });
  }
  return models.sort((a, b) => a.ref.localeCompare(b.ref));
}


/** Delete a cached file with its sidecars, then empty parent folders up to the models root. */
function removeFile(cfg: HubConfig, path: string): void {
  const base = path.replace(/\.part$/, '');
  for (const p of [base, metaPath(base), `${base}.part`, `${base}.part.size`]) {
    try { unlinkSync(p); } catch { /* absent */ }
  }
  const root = modelsDir(cfg);
  for (let d = dirname(base); d.startsWith(root + sep) && d !== root; d = dirname(d)) {
    try { rmdirSync(d); } catch { break; } // not empty
  }
}

/**
 * Remove one cached model named by a reference (hf:…, URL), a file name with or without .gguf,
 * or `user/repo` when that repository has a single cached file. Returns the removed paths (empty: nothing matched).
 * Throws HubError ambiguous when the name fits several files.
 */
export function removeCached(cfg: HubConfig, refOrName: string): string[] {
  const all = listCached(cfg, { arch: false });
  let hits: CachedModel[];
  if (/^hf:/i.test(refOrName) || /^https?:\/\//i.test(refOrName)) {
    const ref = parseRefFor(cfg.endpoint, refOrName);
    if (ref.kind === 'hf' && !ref.file && ref.tag === undefined) {
      hits = all.filter((m) => m.ref.startsWith(`hf:${ref.repo}/`));
    } else {
      const p = findCached(cfg, ref);
      hits = all.filter((m) => m.path === p || (ref.kind === 'hf' && ref.file && m.path === `${hfFilePath(cfg, ref.repo, ref.file)}.part`));
    }
  } else {
    const want = refOrName.toLowerCase().replace(/\.gguf$/, '');
    hits = all.filter((m) => m.name.toLowerCase().replace(/\.gguf$/, '') === want);
    if (hits.length === 0 && /^[^/]+\/[^/]+$/.test(refOrName)) hits = all.filter((m) => m.ref.startsWith(`hf:${refOrName}/`));
  }
  if (hits.length > 1) {
    throw new HubError('ambiguous', `"${refOrName}" matches ${hits.length} cached files: ${hits.map((m) => m.ref).join(', ')}; name one of them`);
  }
  for (const m of hits) removeFile(cfg, m.path);
  return hits.map((m) => m.path);
}

