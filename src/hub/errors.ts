// One-line errors a user can act on. `kind` lets callers (and tests) branch without matching text.

export type HubErrorKind =
  | 'bad-ref'        // the reference cannot be parsed
  | 'offline'        // offline mode and the model is not cached
  | 'network'        // the hub cannot be reached
  | 'auth'           // 401/403: gated or private, needs HF_TOKEN
  | 'not-found'      // repository or file missing (message carries near matches)
  | 'ambiguous'      // a quant tag matches several files
  | 'disk-full'      // ENOSPC while writing
  | 'checksum'       // size or sha256 differs from what the hub reports
  | 'interrupted'    // connection dropped; the .part file is kept for resuming
  | 'busy'           // another process is downloading the same file
  | 'http';          // any other unexpected HTTP status

export class HubError extends Error {
  constructor(readonly kind: HubErrorKind, message: string) {
    super(message);
    this.name = 'HubError';
  }
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return i === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/** Network-level failures from fetch (undici) carry the system code on `cause`. */
export function networkCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A short reason for a failed request or transfer: the system code in words where it helps. */
export function networkReason(e: unknown): string {
  const code = networkCode(e);
  const words: Record<string, string> = {
    UND_ERR_SOCKET: 'connection closed by the server',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection closed',
    UND_ERR_BODY_TIMEOUT: 'no data for too long',
    UND_ERR_HEADERS_TIMEOUT: 'no answer for too long',
  };
  if (code) return words[code] ?? code;
  let cur: unknown = e;
  while ((cur as { cause?: unknown })?.cause) cur = (cur as { cause: unknown }).cause;
  return (cur as Error)?.message ?? String(e);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** True when the error means "could not connect at all" (as opposed to a dropped transfer). */
export function isUnreachable(e: unknown): boolean {
  const code = networkCode(e);
  return code !== undefined && UNREACHABLE.has(code);
}
