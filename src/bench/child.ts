// Child-process entry of the benchmark: `node child.js '<BenchJob JSON>'` measures one engine in
// one configuration, alone in its process (so its resident memory is its own), and prints one
// JSON line: { ok: SideResult } or { error: string }.
import { measureLlamaCpp } from './measure-llamacpp.js';
import { measureOurs } from './measure-ours.js';
import type { BenchJob } from './types.js';

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: child.js <BenchJob JSON>');
  const job = JSON.parse(arg) as BenchJob;
  const result = job.side === 'ours' ? await measureOurs(job) : await measureLlamaCpp(job);
  process.stdout.write(`${JSON.stringify({ ok: result })}\n`);
}

main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.message.split('\n')[0] : String(e) })}\n`);
  process.exitCode = 1;
});
