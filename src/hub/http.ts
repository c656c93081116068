// HTTP for the hub: fetch with redirects followed by hand so the access token goes to the hub's origin only
// (the hub answers downloads with a 302 to a CDN on another origin), and status codes turned into HubErrors.
import { HubError, isUnreachable, networkReason } from './errors.js';

export interface HttpContext {
  /** Hub base URL; the token is sent only to this origin. */
  endpoint: string;
  token?: string;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 10;

/** GET `url`, following redirects; Authorization only while on the hub's origin. */
export async function hubGet(url: string, ctx: HttpContext, headers: Record<string, string> = {}): Promise<Response> {
  const hubOrigin = new URL(ctx.endpoint).origin;
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const h: Record<string, string> = { 'user-agent': 'tsllama', ...headers };
    if (ctx.token && current.origin === hubOrigin) h.authorization = `Bearer ${ctx.token}`;
    let res: Response;
    try {
      res = await fetch(current, { headers: h, redirect: 'manual', signal: ctx.signal });
    } catch (e) {
      throw asNetworkError(e, current);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current);
      continue;
    }
    return res;
  }
  throw new HubError('http', `too many redirects fetching ${url}`);
}

/** fetch() failures: "could not connect" becomes a `network` HubError; aborts pass through unchanged. */
export function asNetworkError(e: unknown, url: URL): unknown {
  if ((e as Error)?.name === 'AbortError') return e;
  if (e instanceof HubError) return e;
  const code = networkReason(e);
  if (isUnreachable(e)) {
    return new HubError('network', `cannot reach ${url.host} (${code}); no network? Set TSLLAMA_OFFLINE=1 to use cached models only`);
  }
  return new HubError('network', `network error talking to ${url.host}: ${code}`);
}

export interface ErrorSubject {
  repo?: string;
  file?: string;
  /** What was being fetched, for messages: "hf:user/repo", a URL... */
  what: string;
}

/**
 * A HubError for a non-success response. 404s (and the hub's 401 "RepoNotFound", which it answers for
 * missing repos when no token is sent) come back as kind `not-found` so callers can add near matches.
 */
export async function statusError(res: Response, subject: ErrorSubject, ctx: HttpContext): Promise<HubError> {
  const code = res.headers.get('x-error-code') ?? '';
  const serverMessage = (res.headers.get('x-error-message') ?? '').split('\n')[0];
  await res.body?.cancel().catch(() => undefined);
  const repoUrl = subject.repo ? `${ctx.endpoint}/${subject.repo}` : subject.what;
  const { status } = res;

  if (code === 'RepoNotFound' || (status === 404 && subject.repo && !subject.file && code !== 'EntryNotFound')) {
    const hint = ctx.token ? '' : ' (if it is private, set HF_TOKEN to an access token)';
    return new HubError('not-found', `repository ${subject.repo ?? subject.what} not found on ${new URL(ctx.endpoint).host}${hint}`);
  }
  if (code === 'GatedRepo') {
    return new HubError('auth', ctx.token
      ? `${subject.what} is gated and your HF_TOKEN has no access yet: accept the terms at ${repoUrl}`
      : `${subject.what} is gated: accept the terms at ${repoUrl} and set HF_TOKEN to an access token`);
  }
  if (status === 401 || status === 403) {
    return new HubError('auth', ctx.token
      ? `access to ${subject.what} denied (${status}): HF_TOKEN was rejected or lacks access; check the token and the repository's terms at ${repoUrl}`
      : `access to ${subject.what} denied (${status}): it is gated or private; set HF_TOKEN to a Hugging Face access token`);
  }
  if (status === 404 || code === 'EntryNotFound') {
    return new HubError('not-found', `${subject.file ? `file ${subject.file}` : subject.what} not found${subject.repo ? ` in ${subject.repo}` : ''} (404)`);
  }
  if (status === 429) return new HubError('http', `rate-limited by ${new URL(ctx.endpoint).host} (429) fetching ${subject.what}; wait a minute${ctx.token ? '' : ' or set HF_TOKEN'}`);
  if (status >= 500) return new HubError('http', `${new URL(res.url || ctx.endpoint).host} failed with ${status} fetching ${subject.what}; try again later`);
  return new HubError('http', `unexpected HTTP ${status} fetching ${subject.what}${serverMessage ? `: ${serverMessage}` : ''}`);
}
