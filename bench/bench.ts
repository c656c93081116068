// `npm run bench`: the same as `tsllama bench -p 128,512 -n 64 --quant fp32,q8,q4 --threads 1,2`
// on the synthetic SmolLM2-135M-shaped model; extra arguments are passed through (--json, --quick…).
import { run } from '../src/cli/cmd-bench.js';

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
