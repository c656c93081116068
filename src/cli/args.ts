// A small typed argument parser: `--name value`, `--name=value`, boolean `--flag`, `-n 5`, positionals.
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean' | 'list';
  short?: string;
  default?: string | number | boolean;
  help?: string;
}

export type ParsedArgs<S extends Record<string, OptionSpec>> = {
  positionals: string[];
  options: { [K in keyof S]: S[K]['type'] extends 'number' ? number | undefined
    : S[K]['type'] extends 'boolean' ? boolean
    : S[K]['type'] extends 'list' ? string[] | undefined
    : string | undefined };
};

export function parseArgs<S extends Record<string, OptionSpec>>(argv: string[], spec: S): ParsedArgs<S> {
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) {
    if (s.short) byShort.set(s.short, name);
    if (s.default !== undefined) options[name] = s.type === 'list' ? String(s.default).split(',') : s.default;
    else if (s.type === 'boolean') options[name] = false;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      if (!(name in spec) && name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean') {
        options[name.slice(3)] = false;
        continue;
      }
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      name = byShort.get(arg.slice(1));
      if (!name) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') { options[name] = inline === undefined ? true : inline !== 'false'; continue; }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`option --${name} needs a number, got "${value}"`);
      options[name] = n;
    } else if (s.type === 'list') {
      options[name] = value.split(',').map((v) => v.trim()).filter(Boolean);
    } else {
      options[name] = value;
    }
  }
  return { positionals, options } as ParsedArgs<S>;
}

export function optionsHelp(spec: Record<string, OptionSpec>): string {
  return Object.entries(spec)
    .map(([name, s]) => {
      const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'boolean' ? '' : ` <${s.type}>`}`;
      const def = s.default !== undefined ? ` (default ${String(s.default)})` : '';
      return `  ${flag.padEnd(28)} ${s.help ?? ''}${def}`;
    })
    .join('\n');
}
