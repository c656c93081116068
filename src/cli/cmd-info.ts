// `tsllama info <model.gguf>`: GGUF version, architecture, metadata (long arrays summarized), tensor totals
// by type, and with --tensors the full tensor table.
import { parseArgs, optionsHelp } from './args.js';
import { UsageError } from './errors.js';
import { readGGUF } from '../gguf/reader.js';
import { GGUFValueType, ggmlTypeName, type GGUFFile, type GGUFValue } from '../gguf/types.js';

const OPTIONS = {
  json: { type: 'boolean', help: 'print JSON instead of text' },
  tensors: { type: 'boolean', help: 'list every tensor: name, type, dims, size' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

export const usage = `usage: tsllama info <model.gguf> [options]

Prints a GGUF file's version, architecture, metadata and tensor summary.

options:
${optionsHelp(OPTIONS)}`;

/** Arrays longer than this print as a summary like "[49152 strings]". */
const MAX_SHOWN_ARRAY = 8;
const MAX_SHOWN_STRING = 120;

const ELEMENT_NAMES: Partial<Record<GGUFValueType, string>> = {
  [GGUFValueType.STRING]: 'strings', [GGUFValueType.FLOAT32]: 'f32', [GGUFValueType.FLOAT64]: 'f64',
  [GGUFValueType.INT32]: 'i32', [GGUFValueType.UINT32]: 'u32', [GGUFValueType.INT8]: 'i8', [GGUFValueType.UINT8]: 'u8',
  [GGUFValueType.INT16]: 'i16', [GGUFValueType.UINT16]: 'u16', [GGUFValueType.INT64]: 'i64', [GGUFValueType.UINT64]: 'u64',
  [GGUFValueType.BOOL]: 'bools', [GGUFValueType.ARRAY]: 'arrays',
};

/** A metadata value made printable and JSON-safe: bigints as strings, long arrays and strings shortened. */
function displayValue(v: GGUFValue, elemType?: GGUFValueType, type?: GGUFValueType): unknown {
  if (typeof v === 'bigint') return v.toString();
  // f32 values print at f32 precision (1e-5, not 0.000009999999747378752)
  if (typeof v === 'number' && type === GGUFValueType.FLOAT32) return Number(v.toPrecision(7));
  if (typeof v === 'string') return v.length > MAX_SHOWN_STRING ? `${v.slice(0, MAX_SHOWN_STRING)}… (${v.length} chars)` : v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const items = Array.from(v as ArrayLike<GGUFValue>);
    if (items.length > MAX_SHOWN_ARRAY) return `[${items.length} ${ELEMENT_NAMES[elemType ?? GGUFValueType.ARRAY] ?? 'items'}]`;
    return items.map((x) => displayValue(x, undefined, elemType));
  }
  return v;
}

function formatMB(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e5 ? 3 : 2);
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

function summary(f: GGUFFile) {
  const tensorBytes = f.tensors.reduce((a, t) => a + t.nBytes, 0);
  const params = f.tensors.reduce((a, t) => a + t.nElements, 0);
  const byType = new Map<string, number>();
  for (const t of f.tensors) byType.set(ggmlTypeName(t.type), (byType.get(ggmlTypeName(t.type)) ?? 0) + 1);
  return { tensorBytes, params, byType };
}

function printText(f: GGUFFile, withTensors: boolean): void {
  const { tensorBytes, params, byType } = summary(f);
  const arch = f.metadata.get('general.architecture');
  const lines = [
    `file:          ${f.path}`,
    `GGUF version:  ${f.version}`,
    `architecture:  ${typeof arch === 'string' ? arch : '(none)'}`,
    `file size:     ${formatMB(f.fileSize)} MB`,
    `tensors:       ${f.tensors.length} (${[...byType].map(([t, n]) => `${n} × ${t}`).join(', ') || 'none'})`,
    `parameters:    ${formatCount(params)}`,
    `tensor data:   ${formatMB(tensorBytes)} MB`,
    '',
    `metadata (${f.metadata.size} keys):`,
  ];
  for (const [key, value] of f.metadata) {
    const t = f.metadataTypes.get(key);
    const shown = displayValue(value, t?.elemType, t?.type);
    lines.push(`  ${key} = ${typeof shown === 'string' ? shown : JSON.stringify(shown)}`);
  }
  if (withTensors && f.tensors.length > 0) {
    const rows = [['NAME', 'TYPE', 'DIMS', 'MB']];
    for (const t of f.tensors) rows.push([t.name, ggmlTypeName(t.type), `[${t.dims.join(', ')}]`, formatMB(t.nBytes)]);
    lines.push('', table(rows, new Set([3])));
  }
  console.log(lines.join('\n'));
}

function printJson(f: GGUFFile, withTensors: boolean): void {
  const { tensorBytes, params } = summary(f);
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of f.metadata) {
    const t = f.metadataTypes.get(key);
    metadata[key] = displayValue(value, t?.elemType, t?.type);
  }
  const out: Record<string, unknown> = {
    path: f.path,
    version: f.version,
    architecture: f.metadata.get('general.architecture') ?? null,
    fileSize: f.fileSize,
    alignment: f.alignment,
    tensorCount: f.tensors.length,
    tensorBytes,
    parameters: params,
    metadata,
  };
  if (withTensors) {
    out.tensors = f.tensors.map((t) => ({ name: t.name, type: ggmlTypeName(t.type), dims: t.dims, bytes: t.nBytes, offset: t.fileOffset }));
  }
  console.log(JSON.stringify(out, null, 2));
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, OPTIONS);
  if (options.help) { console.log(usage); return 0; }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'info needs a GGUF file: tsllama info <model.gguf>' : `info takes one file, got ${positionals.length}`);
  const file = readGGUF(positionals[0]);
  if (options.json) printJson(file, options.tensors);
  else printText(file, options.tensors);
  return 0;
}
