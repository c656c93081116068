// Download one file into place: write `<dest>.part`, resume it with an HTTP Range request, check size
// and checksum, then rename. A killed download leaves only a .part file, never one that looks whole.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, renameSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { BodyDrain } from './drain.js';
import { formatBytes, HubError, networkCode, networkReason } from './errors.js';
import { hubGet, statusError, type ErrorSubject, type HttpContext } from './http.js';
import { acquireLock } from './lock.js';

export interface DownloadTarget {
  url: string;
  dest: string;
  /** Expected size in bytes, when known in advance (the hub's listing). */
  size?: number;
  /** Expected sha256 (hex) of the whole file. */
  sha256?: string;
  /** Expected git blob id, for small files the hub stores without LFS. */
  gitOid?: string;
  /** Name shown in progress and messages. */
  label: string;
  subject: ErrorSubject;
}

export interface DownloadProgress {
  label: string;
  /** start: transfer begins (`resumedFrom` bytes already on disk); data: bytes arrived; end: verified and in place. */
  state: 'start' | 'data' | 'end' | 'error';
  done: number;
  total?: number;
  resumedFrom: number;
}

export interface DownloadOptions {
  http: HttpContext;
  onProgress?: (p: DownloadProgress) => void;
  /** Automatic resumes after a dropped connection before giving up (default 3). */
  retries?: number;
  /** Pause before each automatic resume, ms (default 500, doubled each time). */
  retryDelayMs?: number;
}

export interface DownloadResult {
  bytes: number;
  /** Bytes fetched over the network by this call (less than `bytes` after a resume). */
  downloaded: number;
  /** sha256 of the file (always computed, even when the server gave none to compare with). */
  sha256: string;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function unlinkQuiet(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

/** The expected size of a download in progress, kept beside its .part so `list` can show a percentage. */
function partSizePath(dest: string): string {
  return `${dest}.part.size`;
}

export function readPartTotal(dest: string): number | undefined {
  try {
    const n = Number(readFileSync(partSizePath(dest), 'utf8'));
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Hashers fed with every byte of the file, prefix already on disk included. */
class FileHash {
  private sha256 = createHash('sha256');
  private git?: Hash;
  constructor(gitSize?: number) {
    if (gitSize !== undefined) this.git = createHash('sha1').update(`blob ${gitSize}\0`);
  }
  update(b: Uint8Array): void {
    this.sha256.update(b);
    this.git?.update(b);
  }
  async updateFromFile(path: string, length: number): Promise<void> {
    if (length === 0) return;
    for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) this.update(chunk as Buffer);
  }
  digests(): { sha256: string; git?: string } {
    return { sha256: this.sha256.digest('hex'), git: this.git?.digest('hex') };
  }
}

/** Refuse early when the disk cannot hold the rest of the file. */
function checkFreeSpace(dir: string, needed: number): void {
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return; // unknown: let the writes tell
  }
  if (free < needed) {
    throw new HubError('disk-full', `not enough disk space in ${dir}: the download needs ${formatBytes(needed)} more, ${formatBytes(free)} free (set TSLLAMA_CACHE to use another disk)`);
  }
}

function diskFull(dest: string): HubError {
  return new HubError('disk-full', `disk full (ENOSPC) writing ${dest}.part; free some space and run the same command again to resume`);
}

export async function downloadFile(t: DownloadTarget, opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${t.dest}.part`;
  mkdirSync(dirname(t.dest), { recursive: true });
  const release = acquireLock(`${t.dest}.lock`, t.label);
  try {
    return await downloadLocked(t, part, opts);
  } finally {
    release();
  }
}

async function downloadLocked(t: DownloadTarget, part: string, opts: DownloadOptions): Promise<DownloadResult> {
  const retries = opts.retries ?? 3;
  let delay = opts.retryDelayMs ?? 500;
  const emit = (p: Omit<DownloadProgress, 'label'>) => opts.onProgress?.({ label: t.label, ...p });
  let downloaded = 0;
  let total = t.size;
  let hash = new FileHash(t.gitOid ? t.size : undefined);

  for (let attempt = 0; ; attempt++) {
    let have = fileSize(part);
    if (total !== undefined && have > total) { unlinkQuiet(part); have = 0; }
    hash = new FileHash(t.gitOid ? t.size : undefined);
    if (total !== undefined && have === total) {
      await hash.updateFromFile(part, have);
      break; // complete already (killed between the last byte and the rename)
    }
    if (total !== undefined) checkFreeSpace(dirname(t.dest), total - have);

    const res = await hubGet(t.url, opts.http, have > 0 ? { range: `bytes=${have}-` } : {});
    let append = false;
    if (res.status === 206 && have > 0) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!range || Number(range[1]) !== have) {
        // A range we did not ask for: start over rather than splice mismatched bytes.
        await res.body?.cancel();
        unlinkQuiet(part);
        if (attempt >= retries) throw new HubError('http', `${t.label}: the server answered a resume with the wrong byte range`);
        continue;
      }
      if (range[3] !== '*') total ??= Number(range[3]);
      append = true;
    } else if (res.status === 200) {
      // The server ignored the Range header (or there was nothing to resume): restart from byte 0.
      have = 0;
      const len = res.headers.get('content-length');
      if (total === undefined && len !== null) total = Number(len);
    } else if (res.status === 416) {
      await res.body?.cancel();
      unlinkQuiet(part);
      if (attempt >= retries) throw new HubError('http', `${t.label}: the server refused to resume (416)`);
      continue;
    } else {
      throw await statusError(res, t.subject, opts.http);
    }
    if (!res.body) throw new HubError('http', `${t.label}: the server sent no body`);
    if (t.size !== undefined && total !== t.size) {
      await res.body.cancel();
      throw new HubError('checksum', `${t.label}: the server sends ${total} bytes but the hub lists ${t.size}`);
    }

    const body = new BodyDrain(res.body); // start reading before anything else awaits
    let done = have;
    let fh: FileHandle | undefined;
    try {
      if (append) await hash.updateFromFile(part, have);
      if (total !== undefined) writeFileSync(partSizePath(t.dest), String(total));
      emit({ state: 'start', done: have, total, resumedFrom: have });
      fh = await open(part, append ? 'a' : 'w');
      for await (const batch of body) {
        await fh.writev(batch);
        for (const chunk of batch) hash.update(chunk);
        const n = batch.reduce((a, c) => a + c.length, 0);
        done += n;
        downloaded += n;
        emit({ state: 'data', done, total, resumedFrom: have });
      }
    } catch (e) {
      body.cancel();
      await fh?.close().catch(() => undefined);
      emit({ state: 'error', done, total, resumedFrom: have });
      if ((e as Error)?.name === 'AbortError' || opts.http.signal?.aborted) throw e;
      if (networkCode(e) === 'ENOSPC') throw diskFull(t.dest);
      if ((e as NodeJS.ErrnoException).syscall) throw e; // a local file error (EACCES…): retrying will not help
      if (attempt < retries) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
        continue;
      }
      const why = e instanceof HubError ? e.message : networkReason(e);
      throw new HubError('interrupted', `download of ${t.label} interrupted at ${formatBytes(fileSize(part))}${total ? ` of ${formatBytes(total)}` : ''} (${why}); run the same command again to resume`);
    }
    await fh.close();
    if (total !== undefined && done < total) {
      if (attempt < retries) continue;
      throw new HubError('interrupted', `download of ${t.label} ended early at ${formatBytes(done)} of ${formatBytes(total)}; run the same command again to resume`);
    }
    break;
  }

  const bytes = fileSize(part);
  const { sha256, git } = hash.digests();
  const fail = (what: string) => {
    unlinkQuiet(part);
    unlinkQuiet(partSizePath(t.dest));
    return new HubError('checksum', `${t.label}: ${what}; the download was deleted, run the same command again`);
  };
  if (t.size !== undefined && bytes !== t.size) throw fail(`size is ${bytes} bytes, expected ${t.size}`);
  if (t.sha256 && sha256 !== t.sha256.toLowerCase()) throw fail(`checksum mismatch (sha256 ${sha256.slice(0, 12)}…, expected ${t.sha256.slice(0, 12)}…)`);
  if (t.gitOid && git !== t.gitOid.toLowerCase()) throw fail(`checksum mismatch (git blob ${git?.slice(0, 12)}…, expected ${t.gitOid.slice(0, 12)}…)`);
  renameSync(part, t.dest);
  unlinkQuiet(partSizePath(t.dest));
  emit({ state: 'end', done: bytes, total: bytes, resumedFrom: bytes - downloaded });
  return { bytes, downloaded, sha256 };
}
