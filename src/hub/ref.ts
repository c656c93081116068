// Model references: `hf:<user>/<repo>[:<quant>]`, `hf:<user>/<repo>/<path/file.gguf>`, `http(s)://…/file.gguf`.
// A hub "resolve" or "blob" URL (https://huggingface.co/u/r/resolve/main/f.gguf) becomes an hf reference,
// so it shares the cache layout, the checksum and the token handling.
import { HubError } from './errors.js';

export interface HfRef {
  kind: 'hf';
  /** `user/repo` */
  repo: string;
  /** File path inside the repository, when given explicitly. */
  file?: string;
  /** Quant tag such as Q8_0, when given. */
  tag?: string;
  revision: string;
  /** The reference as the user wrote it. */
  text: string;
}

export interface UrlRef {
  kind: 'url';
  url: URL;
  text: string;
}

export type ModelRef = HfRef | UrlRef;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** True for strings that name a remote model (as opposed to a local path). */
export function isModelRef(s: string): boolean {
  return /^hf:/i.test(s) || /^https?:\/\//i.test(s);
}

/** Parse a model reference; `hubOrigins` are the origins whose resolve/blob URLs map to hf references. */
export function parseModelRef(text: string, hubOrigins: string[] = ['https://huggingface.co']): ModelRef {
  if (/^hf:/i.test(text)) return parseHf(text);
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new HubError('bad-ref', `not a valid URL: ${text}`);
    }
    if (hubOrigins.includes(url.origin)) {
      // /<user>/<repo>/(resolve|blob)/<revision>/<file...>
      const m = /^\/([^/]+)\/([^/]+)\/(?:resolve|blob)\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (m) return { kind: 'hf', repo: `${m[1]}/${m[2]}`, revision: decodeURIComponent(m[3]), file: decodeURIComponent(m[4]), text };
    }
    if (url.pathname.endsWith('/') || url.pathname === '') throw new HubError('bad-ref', `URL does not name a file: ${text}`);
    return { kind: 'url', url, text };
  }
  throw new HubError('bad-ref', `not a model reference: ${text} (expected hf:<user>/<repo>[:<quant>], hf:<user>/<repo>/<file.gguf> or an https:// URL)`);
}

function parseHf(text: string): HfRef {
  const body = text.slice(3);
  const usage = 'expected hf:<user>/<repo>[:<quant>] or hf:<user>/<repo>/<file.gguf>';
  const colon = body.indexOf(':');
  const path = colon >= 0 ? body.slice(0, colon) : body;
  const tag = colon >= 0 ? body.slice(colon + 1) : undefined;
  const parts = path.split('/');
  if (parts.length < 2 || !NAME.test(parts[0]) || !NAME.test(parts[1])) {
    throw new HubError('bad-ref', `bad model reference "${text}": ${usage}`);
  }
  if (tag !== undefined && !/^[A-Za-z0-9._-]+$/.test(tag)) {
    throw new HubError('bad-ref', `bad quant tag "${tag}" in "${text}" (letters, digits, _ . - only, e.g. Q8_0)`);
  }
  const repo = `${parts[0]}/${parts[1]}`;
  const filePath = parts.slice(2).join('/');
  if (filePath) {
    if (tag !== undefined) throw new HubError('bad-ref', `"${text}" names both a file and a quant tag; give one of them`);
    if (parts.slice(2).some((p) => p === '' || p === '.' || p === '..')) throw new HubError('bad-ref', `bad file path in "${text}"`);
    return { kind: 'hf', repo, file: filePath, revision: 'main', text };
  }
  return { kind: 'hf', repo, tag: tag || undefined, revision: 'main', text };
}

/** Canonical text of an hf reference to one file, e.g. hf:user/repo/file.gguf */
export function hfFileRef(repo: string, file: string): string {
  return `hf:${repo}/${file}`;
}

/** Parse with resolve/blob URLs of `endpoint` and of huggingface.co recognised as hf references. */
export function parseRefFor(endpoint: string, text: string): ModelRef {
  return parseModelRef(text, [new URL(endpoint).origin, 'https://huggingface.co']);
}
