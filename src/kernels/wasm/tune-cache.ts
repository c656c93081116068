// The tuner's choices, cached per machine in $TSLLAMA_CACHE/tune.json (default ~/.cache/tsllama).
// A choice is keyed by CPU model, core count, Node version, kernel build and thread count, so a
// file copied to another machine (or a Node upgrade) is simply not used.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_PREFILL_CHUNKS, setMatmulTuning, type MatmulTuning } from './matmul.js';

export interface TuneEntry extends MatmulTuning {
  /** When it was measured (ISO time). */
  measured: string;
}

export function tuneCachePath(): string {
  const base = process.env.TSLLAMA_CACHE || join(homedir(), '.cache', 'tsllama');
  return join(base, 'tune.json');
}

export function machineKey(variant: string, threads: number): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown-cpu';
  return `${cpu} | ${cpus().length} cores | node ${process.versions.node} | ${variant} | ${threads} threads`;
}

function readAll(path: string): Record<string, TuneEntry> {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return data && typeof data === 'object' ? (data as Record<string, TuneEntry>) : {};
  } catch {
    return {}; // missing or unreadable: no cached choice
  }
}

/** The entry for key, or null when missing or invalid; entries written before prefillChunks existed get the default. */
export function readTuning(key: string, path = tuneCachePath()): TuneEntry | null {
  const e = readAll(path)[key] as Partial<TuneEntry> | undefined;
  if (!e || !Number.isInteger(e.tokenBlock) || e.tokenBlock! <= 0 || e.tokenBlock! % 4 !== 0) return null;
  const prefillChunks = e.prefillChunks ?? DEFAULT_PREFILL_CHUNKS;
  if (!Number.isInteger(prefillChunks) || prefillChunks < 1) return null;
  return { tokenBlock: e.tokenBlock!, prefillChunks, measured: String(e.measured ?? '') };
}

export function writeTuning(key: string, tuning: MatmulTuning, path = tuneCachePath()): void {
  const all = readAll(path);
  all[key] = { ...tuning, measured: new Date().toISOString() };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n');
  renameSync(tmp, path);
}

/** Applies the cached choice for this machine, if any; returns it. */
export function applyCachedTuning(key: string, path = tuneCachePath()): TuneEntry | null {
  const e = readTuning(key, path);
  if (e) setMatmulTuning({ tokenBlock: e.tokenBlock, prefillChunks: e.prefillChunks });
  return e;
}
