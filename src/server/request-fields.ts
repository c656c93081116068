// Typed readers for request body fields: each returns the value or undefined (absent or null),
// and throws a 400 naming the field when it has the wrong type or is out of range.
import { invalidParam } from './errors.js';

export type Body = Record<string, unknown>;

function present(body: Body, name: string): boolean {
  return body[name] !== undefined && body[name] !== null;
}

export function optNumber(body: Body, name: string, range: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  if (!present(body, name)) return undefined;
  const v = body[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParam(name, `${name} must be a number, got ${describe(v)}`, 'invalid_type');
  if (range.integer && !Number.isInteger(v)) throw invalidParam(name, `${name} must be an integer, got ${v}`);
  if (range.min !== undefined && v < range.min) throw invalidParam(name, `${name} must be ≥ ${range.min}, got ${v}`);
  if (range.max !== undefined && v > range.max) throw invalidParam(name, `${name} must be ≤ ${range.max}, got ${v}`);
  return v;
}

export function optBoolean(body: Body, name: string): boolean | undefined {
  if (!present(body, name)) return undefined;
  const v = body[name];
  if (typeof v !== 'boolean') throw invalidParam(name, `${name} must be a boolean, got ${describe(v)}`, 'invalid_type');
  return v;
}

export function optString(body: Body, name: string): string | undefined {
  if (!present(body, name)) return undefined;
  const v = body[name];
  if (typeof v !== 'string') throw invalidParam(name, `${name} must be a string, got ${describe(v)}`, 'invalid_type');
  return v;
}

export function optObject(body: Body, name: string): Body | undefined {
  if (!present(body, name)) return undefined;
  const v = body[name];
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam(name, `${name} must be an object, got ${describe(v)}`, 'invalid_type');
  return v as Body;
}

/** `stop`: a string or an array of at most 16 strings. */
export function optStop(body: Body): string[] {
  if (!present(body, 'stop')) return [];
  const v = body.stop;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) {
    if (v.length > 16) throw invalidParam('stop', `stop takes at most 16 strings, got ${v.length}`);
    return v as string[];
  }
  throw invalidParam('stop', `stop must be a string or an array of strings, got ${describe(v)}`, 'invalid_type');
}

/** `logit_bias`: { "<token id>": bias in [-100, 100] }, ids below nVocab. */
export function optLogitBias(body: Body, nVocab: number): Record<number, number> | undefined {
  const o = optObject(body, 'logit_bias');
  if (!o) return undefined;
  const out: Record<number, number> = {};
  for (const [key, bias] of Object.entries(o)) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || id >= nVocab) throw invalidParam('logit_bias', `logit_bias key "${key}" is not a token id in [0, ${nVocab})`);
    if (typeof bias !== 'number' || !Number.isFinite(bias) || bias < -100 || bias > 100) {
      throw invalidParam('logit_bias', `logit_bias for token ${key} must be a number in [-100, 100], got ${describe(bias)}`);
    }
    // OpenAI: -100 effectively bans the token.
    out[id] = bias <= -100 ? -Infinity : bias;
  }
  return out;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
