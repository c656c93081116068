// Where models are cached and which hub they come from, read from the environment at call time
// (not at import) so tests and embedders can change it per call.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HubError } from './errors.js';

export interface HubConfig {
  /** Cache root; model files live under `<cacheDir>/models/`. */
  cacheDir: string;
  /** Hub base URL without a trailing slash, e.g. https://huggingface.co */
  endpoint: string;
  /** Bearer token for gated or private repositories (sent to the hub's origin only). */
  token?: string;
  /** Never touch the network; resolve from the cache only. */
  offline: boolean;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSLLAMA_CACHE) return env.TSLLAMA_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'tsllama');
}

/** The configuration from the environment, with `overrides` taking precedence. */
export function hubConfig(overrides: Partial<HubConfig> = {}, env: NodeJS.ProcessEnv = process.env): HubConfig {
  const endpoint = (overrides.endpoint || env.TSLLAMA_HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(endpoint) || !URL.canParse(endpoint)) {
    throw new HubError('bad-ref', `TSLLAMA_HF_ENDPOINT is not an http(s) URL: "${endpoint}"`);
  }
  // An explicit `token: undefined` means "no token", whatever the environment says.
  const token = 'token' in overrides ? overrides.token : (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined);
  return {
    cacheDir: overrides.cacheDir ?? defaultCacheDir(env),
    endpoint,
    token,
    offline: overrides.offline ?? (truthy(env.TSLLAMA_OFFLINE) || truthy(env.HF_HUB_OFFLINE)),
  };
}
