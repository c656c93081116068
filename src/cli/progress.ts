// Progress reporting for long jobs (downloads, model loading): a redrawn bar with bytes, rate and time left on a
// terminal; a few plain lines (start, each quarter, done) when output goes to a pipe or a log.
// TSLLAMA_PROGRESS=tty|plain|off overrides the detection.
import type { Writable } from 'node:stream';
import { formatBytes, type DownloadProgress } from '../hub/index.js';

export type ProgressMode = 'tty' | 'plain' | 'off';

export interface ProgressOptions {
  label: string;
  /** Units expected in all; unknown totals show amount and rate only. */
  total?: number;
  /** Default process.stderr. */
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Units already done before this run (a resumed download): shown, but not counted in the rate. */
  start?: number;
  /** 'bytes' (default) prints 12.3 MB; 'count' prints plain numbers. */
  unit?: 'bytes' | 'count';
  mode?: ProgressMode;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export interface Progress {
  update(done: number): void;
  /** Finish: a final 100% bar and newline, or a closing plain line. */
  done(): void;
  /** End the bar's line without claiming success (an error follows). */
  fail(): void;
}

export function progressMode(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const forced = env.TSLLAMA_PROGRESS;
  if (forced === 'tty' || forced === 'plain' || forced === 'off') return forced;
  return stream.isTTY ? 'tty' : 'plain';
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const REDRAW_MS = 100;
const RATE_WINDOW_MS = 5000;
const PLAIN_QUIET_MS = 30_000;

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const mode = opts.mode ?? progressMode(stream);
  const now = opts.now ?? (() => performance.now());
  const unit = opts.unit ?? 'bytes';
  const total = opts.total && opts.total > 0 ? opts.total : undefined;
  const start = opts.start ?? 0;
  const fmt = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(n));
  const t0 = now();
  const samples: { t: number; done: number }[] = [{ t: t0, done: start }];
  let current = start;
  let lastDraw = -Infinity;
  let lastLine = t0;
  let quarter = total ? Math.floor((4 * start) / total) : 0;
  let drewBar = false;
  let finished = false;

  /** Units per second over the last few seconds. */
  const rate = (): number => {
    const t = now();
    while (samples.length > 2 && t - samples[1].t > RATE_WINDOW_MS) samples.shift();
    const first = samples[0];
    const dt = (t - first.t) / 1000;
    return dt > 0 ? (current - first.done) / dt : 0;
  };
  const rateText = (r: number) => (r > 0 ? `${fmt(Math.round(r))}/s` : '');
  const etaText = (r: number) => (total && r > 0 ? `${formatDuration((total - current) / r)} left` : '');

  const drawBar = (force: boolean) => {
    const t = now();
    if (!force && t - lastDraw < REDRAW_MS) return;
    lastDraw = t;
    const r = rate();
    const amount = total ? `${fmt(current)}/${fmt(total)}` : fmt(current);
    const tail = [amount, rateText(r), etaText(r)].filter(Boolean).join('  ');
    const label = opts.label.length > 32 ? `${opts.label.slice(0, 31)}…` : opts.label;
    let bar = '';
    if (total) {
      const frac = Math.min(1, current / total);
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - tail.length - 10));
      const filled = Math.round(frac * width);
      bar = ` [${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}] ${String(Math.floor(frac * 100)).padStart(3)}%`;
    }
    stream.write(`\r${label}${bar}  ${tail}\x1b[K`);
    drewBar = true;
  };

  const plainLine = (text: string) => {
    stream.write(`${opts.label}: ${text}\n`);
    lastLine = now();
  };

  if (mode === 'plain') {
    const what = total ? fmt(total) : 'size unknown';
    plainLine(start > 0 ? `resuming at ${fmt(start)} of ${what}` : `starting (${what})`);
  }

  return {
    update(done: number) {
      if (finished) return;
      current = done;
      samples.push({ t: now(), done });
      if (samples.length > 512) samples.splice(1, samples.length - 256);
      if (mode === 'tty') return drawBar(false);
      if (mode !== 'plain') return;
      const q = total ? Math.floor((4 * done) / total) : 0;
      if (total && q > quarter && q < 4) {
        quarter = q;
        const r = rate();
        plainLine(`${q * 25}% (${fmt(done)} of ${fmt(total)}${r > 0 ? `, ${rateText(r)}` : ''}${etaText(r) ? `, ${etaText(r)}` : ''})`);
      } else if (now() - lastLine > PLAIN_QUIET_MS) {
        plainLine(`${fmt(done)}${total ? ` of ${fmt(total)}` : ''} (${rateText(rate()) || 'stalled'})`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (total) current = Math.max(current, total);
      const secs = (now() - t0) / 1000;
      const avg = secs > 0 ? (current - start) / secs : 0;
      if (mode === 'tty') {
        drawBar(true);
        stream.write('\n');
      } else if (mode === 'plain') {
        plainLine(`done, ${fmt(current)} in ${formatDuration(secs)}${avg > 0 ? ` (${rateText(avg)})` : ''}`);
      }
    },
    fail() {
      if (finished) return;
      finished = true;
      if (mode === 'tty' && drewBar) stream.write('\n');
    },
  };
}

/** An `onProgress` for hub downloads: one bar (or a few lines) per file. */
export function downloadReporter(opts: { stream?: ProgressOptions['stream']; mode?: ProgressMode } = {}): (p: DownloadProgress) => void {
  const bars = new Map<string, Progress>();
  return (p) => {
    let bar = bars.get(p.label);
    if (p.state === 'start') {
      bar?.fail();
      bar = createProgress({ label: p.label, total: p.total, start: p.resumedFrom, stream: opts.stream, mode: opts.mode });
      bars.set(p.label, bar);
      return;
    }
    if (!bar) return;
    if (p.state === 'data') bar.update(p.done);
    else if (p.state === 'end') { bar.update(p.done); bar.done(); bars.delete(p.label); }
    else { bar.fail(); bars.delete(p.label); }
  };
}

/**
 * The callbacks a command passes to resolveModel/pullModel: notes and progress on stderr, or nothing when quiet.
 * `resolveModel(ref, { ...hubCallbacks({ quiet }) })`
 */
export function hubCallbacks(opts: { quiet?: boolean; stream?: ProgressOptions['stream'] } = {}): {
  onNote?: (message: string) => void;
  onProgress?: (p: DownloadProgress) => void;
} {
  if (opts.quiet) return {};
  const stream = opts.stream ?? process.stderr;
  return { onNote: (m) => { stream.write(`${m}\n`); }, onProgress: downloadReporter({ stream }) };
}
