// tsllama serve <model>: the OpenAI-compatible HTTP server (src/server) over one model.
import { basename } from 'node:path';
import { createServer } from '../server/index.js';
import { optionsHelp, parseArgs } from './args.js';
import { UsageError } from './errors.js';
import { MODEL_OPTIONS, openModel } from './model-options.js';

const SPEC = {
  ...MODEL_OPTIONS,
  ctx: { type: 'number', short: 'c', help: 'context length of each slot (default: min(4096, the model\'s))' },
  host: { type: 'string', default: '127.0.0.1', help: 'address to bind (0.0.0.0 exposes the server to the network)' },
  port: { type: 'number', short: 'p', default: 8080, help: 'port (0 = any free port)' },
  parallel: { type: 'number', short: 'n', default: 4, help: 'requests decoded at once (slots), batched into one forward pass per step' },
  queue: { type: 'number', default: 32, help: 'requests that may wait for a slot; more get 503 with Retry-After' },
  'api-key': { type: 'string', help: 'require "Authorization: Bearer <key>" on every route (default: TSLLAMA_API_KEY)' },
  alias: { type: 'list', help: 'more names the request\'s "model" field may use (comma-separated)' },
  'chat-template': { type: 'string', help: 'override the chat template: chatml | llama3 | phi3 | gemma | llama2 | Jinja text' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const usage = `usage: tsllama serve <model.gguf | hf:user/repo[:quant]> [options]

Endpoints: POST /v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models, /health, /metrics, /v1/stats.

${optionsHelp(SPEC)}`;

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, options: o } = parseArgs(argv, SPEC);
  if (o.help) { console.log(usage); return 0; }
  const [modelRef, ...extra] = positionals;
  if (!modelRef) throw new UsageError(`no model given\n${usage}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const port = o.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be in [0, 65535], got ${port}`);
  const parallel = positiveInt('parallel', o.parallel ?? 4, 1);
  const queue = positiveInt('queue', o.queue ?? 32, 0);

  const model = await openModel(modelRef, o);
  const server = createServer(model, {
    parallel,
    queue,
    contextLength: o.ctx,
    apiKey: o['api-key'] ?? process.env.TSLLAMA_API_KEY,
    aliases: [modelRef, ...(o.alias ?? [])],
    modelId: basename(model.path).replace(/\.gguf$/i, ''),
    chatTemplate: o['chat-template'],
    log: (line) => console.error(line),
  });
  let url: string;
  try {
    ({ url } = await server.listen(port, o.host ?? '127.0.0.1'));
  } catch (e) {
    await server.close();
    await model.dispose();
    throw new Error(`cannot listen on ${o.host}:${port}: ${(e as Error).message}`);
  }
  console.log(`tsllama: serving ${modelRef} at ${url}/v1 (${parallel} slots, context ${model.defaultContext} tokens each)`);

  // First signal: finish running requests (up to 5 s), then exit; a second one exits at once.
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) process.exit(130);
      stopping = true;
      console.error(`tsllama: ${signal}: shutting down`);
      resolve();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close({ graceMs: 5000 });
  await model.dispose();
  return 0;
}
