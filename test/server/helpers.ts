// Servers for the server tests: the tiny synthetic ChatML model (written once per test file) behind
// createServer on 127.0.0.1, port 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/index.js';
import { createServer, type ServerOptions, type StatsSnapshot, type TsllamaServer } from '../../src/server/index.js';
import { synthesizeModel } from '../../src/synth/synthesize.js';

export interface TestServer {
  url: string;
  server: TsllamaServer;
}

/** Writes the tiny model to a temp dir and loads it (1 thread, fp32, context 256); dispose() removes both. */
export async function loadTinyModel(): Promise<{ model: Model; path: string; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsllama-server-'));
  const path = join(dir, 'tiny.gguf');
  synthesizeModel({ preset: 'tiny', seed: 1, type: 'f32', outPath: path });
  const model = await loadModel(path, { backend: 'wasm', quant: 'fp32', threads: 1, contextLength: 256 });
  return {
    model,
    path,
    dispose: async () => {
      await model.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startServer(model: Model, opts: ServerOptions = {}): Promise<TestServer> {
  const server = createServer(model, { log: () => {}, ...opts });
  const { url } = await server.listen(0, '127.0.0.1');
  return { url, server };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

export async function getStats(url: string, headers: Record<string, string> = {}): Promise<StatsSnapshot> {
  return (await fetch(`${url}/v1/stats`, { headers })).json() as Promise<StatsSnapshot>;
}

/** Polls until `check` passes or `ms` elapse. */
export async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
