// Getting a model: `hf:` references and URLs resolved against the local cache, pulled when missing.
// The CLI and loadModel use resolveModel(); `tsllama pull|list|rm` use the rest.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { listRepoFiles, resolveUrl } from './api.js';
import {
  cachedRepoFiles, findCached, hfFilePath, listCached as listCachedIn, readMeta, removeCached as removeCachedIn,
  urlFilePath, writeMeta, type CachedModel,
} from './cache.js';
import { hubConfig, type HubConfig } from './config.js';
import { downloadFile, type DownloadProgress } from './download.js';
import { formatBytes, HubError } from './errors.js';
import { isModelRef, parseRefFor, hfFileRef, type HfRef, type ModelRef, type UrlRef } from './ref.js';
import { baseName, fileLabels, selectFile, type RepoFile } from './select.js';
import { nearMatches } from './suggest.js';

export { HubError, type HubErrorKind, formatBytes } from './errors.js';
export type { DownloadProgress } from './download.js';
export type { CachedModel } from './cache.js';
export type { HubConfig } from './config.js';
export { hubConfig } from './config.js';
export { isModelRef, parseModelRef, type ModelRef } from './ref.js';

/**
 * The model `tsllama run` uses when none is given. SmolLM2-135M-Instruct: 145 MB at Q8_0, so a first run
 * downloads in seconds; llama architecture (the engine's reference family and the shape the benchmarks use);
 * Q8_0 loads into the q8 QuantMode without requantizing; it ships a chat template. Apache-2.0, not gated.
 */
export const DEFAULT_MODEL = 'hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q8_0';

export interface HubOptions {
  /** Download progress (one `start`, many `data`, one `end` per file). See src/cli/progress.ts for a terminal reporter. */
  onProgress?: (p: DownloadProgress) => void;
  /** One-line notes worth showing a user: which file a tag picked, "already cached", fallbacks. */
  onNote?: (message: string) => void;
  /** Use the cache only (also TSLLAMA_OFFLINE=1). */
  offline?: boolean;
  signal?: AbortSignal;
  /** Overrides of the environment (cache dir, endpoint, token). */
  config?: Partial<HubConfig>;
  /** Automatic resumes after a dropped connection (default 3) and the first pause between them (ms). */
  retries?: number;
  retryDelayMs?: number;
}

export interface PullResult {
  path: string;
  /** Size of the file. */
  bytes: number;
  /** Bytes actually fetched this time (0 when already cached; less than `bytes` after a resume). */
  downloaded: number;
  /** Canonical reference of the exact file, e.g. hf:user/repo/file.gguf */
  ref: string;
}

function configOf(opts: HubOptions): HubConfig {
  const cfg = hubConfig(opts.config);
  return opts.offline ? { ...cfg, offline: true } : cfg;
}

/**
 * A local path for a model reference: an existing local path is returned as is; the name of a cached file
 * (`SmolLM2-135M-Instruct-Q8_0`) maps to its path; `hf:…` and URLs come from the cache, pulled when missing
 * (unless offline). Anything else is returned unchanged for the loader to report.
 */
export async function resolveModel(ref: string, opts: HubOptions = {}): Promise<string> {
  const cfg = configOf(opts);
  if (!isModelRef(ref)) {
    if (existsSync(ref)) return ref;
    if (/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*(:[\w.-]+)?$/.test(ref) && !/\.gguf$/i.test(ref)) {
      throw new HubError('bad-ref', `model file not found: ${ref} (for a Hugging Face repository write hf:${ref})`);
    }
    if (ref.includes('/')) return ref;
    const want = ref.toLowerCase().replace(/\.gguf$/, '');
    const byName = listCachedIn(cfg, { arch: false }).filter((m) => !m.partial && m.name.toLowerCase().replace(/\.gguf$/, '') === want);
    return byName.length === 1 ? byName[0].path : ref;
  }
  const parsed = parseRefFor(cfg.endpoint, ref);
  const cached = findCached(cfg, parsed);
  if (cached) return cached;
  if (cfg.offline) throw offlineError(cfg, parsed);
  return (await pullModel(ref, opts)).path;
}

/** Download a model into the cache (or confirm the cached copy still matches the hub). */
export async function pullModel(ref: string, opts: HubOptions = {}): Promise<PullResult> {
  const cfg = configOf(opts);
  const parsed = parseRefFor(cfg.endpoint, ref);
  if (cfg.offline) {
    const cached = findCached(cfg, parsed);
    if (!cached) throw offlineError(cfg, parsed);
    opts.onNote?.(`offline: using the cached ${baseName(cached)}`);
    return cachedResult(cfg, parsed, cached);
  }
  return parsed.kind === 'url' ? pullUrl(cfg, parsed, opts) : pullHf(cfg, parsed, opts);
}

function cachedResult(cfg: HubConfig, ref: ModelRef, path: string): PullResult {
  const canonical = readMeta(path)?.ref ?? (ref.kind === 'url' ? ref.url.toString() : ref.text);
  return { path, bytes: statSync(path).size, downloaded: 0, ref: canonical };
}

function httpOf(cfg: HubConfig, opts: HubOptions) {
  return { endpoint: cfg.endpoint, token: cfg.token, signal: opts.signal };
}

async function pullUrl(cfg: HubConfig, ref: UrlRef, opts: HubOptions): Promise<PullResult> {
  const dest = urlFilePath(cfg, ref.url);
  if (existsSync(dest)) {
    opts.onNote?.(`${baseName(dest)} is already cached`);
    return cachedResult(cfg, ref, dest);
  }
  const url = ref.url.toString();
  const r = await downloadFile(
    { url, dest, label: baseName(dest), subject: { what: url } },
    { http: httpOf(cfg, opts), onProgress: opts.onProgress, retries: opts.retries, retryDelayMs: opts.retryDelayMs },
  ).catch((e: unknown) => { throw notCachedHint(e, ref.text); });
  writeMeta(dest, { ref: url, url, size: r.bytes, sha256: r.sha256, pulledAt: new Date().toISOString() });
  return { path: dest, bytes: r.bytes, downloaded: r.downloaded, ref: url };
}

async function pullHf(cfg: HubConfig, ref: HfRef, opts: HubOptions): Promise<PullResult> {
  let files: RepoFile[];
  try {
    files = await listRepoFiles(ref.repo, ref.revision, httpOf(cfg, opts));
  } catch (e) {
    const cached = e instanceof HubError && e.kind === 'network' ? findCached(cfg, ref) : undefined;
    if (!cached) throw notCachedHint(e, ref.text);
    opts.onNote?.(`${(e as Error).message.split('; ')[0]}; using the cached ${baseName(cached)}`);
    return cachedResult(cfg, ref, cached);
  }
  const file = pickFile(files, ref, opts);
  const dest = hfFilePath(cfg, ref.repo, file.path);
  const canonical = hfFileRef(ref.repo, file.path);
  if (existsSync(dest) && (await cachedCopyMatches(dest, file, canonical))) {
    opts.onNote?.(`${baseName(dest)} is already cached and matches the hub`);
    return { path: dest, bytes: file.size, downloaded: 0, ref: canonical };
  }
  const url = resolveUrl(cfg.endpoint, ref.repo, ref.revision, file.path);
  const r = await downloadFile(
    { url, dest, size: file.size, sha256: file.sha256, gitOid: file.gitOid, label: baseName(file.path), subject: { repo: ref.repo, file: file.path, what: canonical } },
    { http: httpOf(cfg, opts), onProgress: opts.onProgress, retries: opts.retries, retryDelayMs: opts.retryDelayMs },
  );
  writeMeta(dest, { ref: canonical, url, size: r.bytes, sha256: r.sha256, pulledAt: new Date().toISOString() });
  return { path: dest, bytes: r.bytes, downloaded: r.downloaded, ref: canonical };
}

/** The file a reference names in a hub listing; notes the choice when a tag or the default picked it. */
function pickFile(files: RepoFile[], ref: HfRef, opts: HubOptions): RepoFile {
  if (ref.file) {
    const f = files.find((x) => x.path === ref.file);
    if (f) return f;
    const ggufs = files.filter((x) => /\.gguf$/i.test(x.path)).map((x) => x.path);
    const near = nearMatches(ref.file, ggufs, 3);
    const more = near.length ? `; did you mean ${near.join(', ')}?` : ggufs.length ? `; it has ${fileLabels(ggufs.map((path) => ({ path, size: 0 }))).join(', ')}` : '; it has no .gguf files';
    throw new HubError('not-found', `file ${ref.file} not found in ${ref.repo}${more}`);
  }
  const sel = selectFile(files, ref.repo, ref.tag);
  opts.onNote?.(`${ref.text} → ${sel.file.path} (${formatBytes(sel.file.size)}, ${sel.reason})`);
  return sel.file;
}

/** Is the file already in the cache the one the hub lists? Uses the sidecar's sha256, or hashes once. */
async function cachedCopyMatches(dest: string, file: RepoFile, canonical: string): Promise<boolean> {
  const size = statSync(dest).size;
  if (size !== file.size) return false;
  const meta = readMeta(dest);
  if (meta?.sha256 && file.sha256) return meta.sha256 === file.sha256.toLowerCase();
  if (meta && !file.sha256) return true; // nothing better to compare than the size
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(dest)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  if (file.sha256 && sha256 !== file.sha256.toLowerCase()) return false;
  writeMeta(dest, { ref: canonical, url: '', size, sha256, pulledAt: new Date().toISOString() });
  return true;
}

function offlineError(cfg: HubConfig, ref: ModelRef): HubError {
  const where = `the cache (${cfg.cacheDir})`;
  const have = ref.kind === 'hf' ? cachedRepoFiles(cfg, ref.repo) : [];
  const also = have.length ? `; cached from ${ref.kind === 'hf' ? ref.repo : ''}: ${fileLabels(have).join(', ')}` : '';
  return new HubError('offline', `${ref.text} is not in ${where} and offline mode is on (TSLLAMA_OFFLINE=1)${also}`);
}

/** Network failures get "and it is not cached" so the user knows the cache was tried. */
function notCachedHint(e: unknown, refText: string): unknown {
  if (e instanceof HubError && e.kind === 'network') {
    return new HubError('network', `${e.message.split('; ')[0]}, and ${refText} is not in the cache; connect to the network and try again`);
  }
  return e;
}

/** Every cached model (partial downloads flagged) with size and architecture. */
export function listCached(opts: { config?: Partial<HubConfig>; arch?: boolean } = {}): CachedModel[] {
  return listCachedIn(hubConfig(opts.config), { arch: opts.arch });
}

/** Remove a cached model by reference or file name; false when nothing matched. Throws HubError ambiguous. */
export function removeCached(refOrName: string, opts: { config?: Partial<HubConfig> } = {}): boolean {
  return removeCachedIn(hubConfig(opts.config), refOrName).length > 0;
}

/** Like removeCached, returning the removed paths (for `tsllama rm` to print). */
export function removeCachedPaths(refOrName: string, opts: { config?: Partial<HubConfig> } = {}): string[] {
  return removeCachedIn(hubConfig(opts.config), refOrName);
}
