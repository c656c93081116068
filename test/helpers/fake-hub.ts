// A local stand-in for the Hugging Face hub on 127.0.0.1 (port 0), for tests that must never leave loopback.
// Two servers, so the redirect crosses origins as on the real hub:
//   hub:  GET /api/models/{user}/{repo}/tree/{rev}?recursive=true   file list with size, oid, lfs { oid: sha256, size }
//         GET /api/models?search=…                                  [{ id }] (for "did you mean")
//         GET /{user}/{repo}/resolve/{rev}/{path}                   302 → cdn (X-Linked-Size, X-Linked-Etag)
//         GET /files/{name}                                         a plain download (for https://… references)
//   cdn:  GET /blobs/{sha256}                                       the bytes, with Range (206) support
// Faults for the next downloads: cut the connection after N bytes, corrupt a byte, ignore Range.
// Usage: const hub = await startFakeHub({ repos: { 'org/x-GGUF': [{ path: 'x-Q8_0.gguf', source: '/path/file.gguf' }] } });
//        TSLLAMA_HF_ENDPOINT=hub.endpoint … ; await hub.close();
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  /** Path inside the repository. */
  path: string;
  /** A file on disk to serve (read once at start)… */
  source?: string;
  /** …or the bytes themselves. */
  content?: Buffer;
  /** Stored with LFS (sha256 in the listing); default true for .gguf, false otherwise. */
  lfs?: boolean;
}

export interface FakeHubOptions {
  repos: Record<string, FakeFile[]>;
  /** Repositories whose downloads need `Authorization: Bearer <token>` (the listing stays public, as on the hub). */
  gated?: Record<string, string>;
  /** Entries per page of the tree listing (pages linked with `Link: <…>; rel="next"`); default all in one. */
  pageSize?: number;
  /** Plain files served at {endpoint}/files/{name}. */
  files?: Record<string, string>;
}

export interface FakeFault {
  /** Close the connection after sending this many body bytes. */
  cutAfter?: number;
  /** Flip one byte in the middle of the file. */
  corrupt?: boolean;
  /** Answer Range requests with 200 and the whole file. */
  ignoreRange?: boolean;
  /** For how many downloads (default 1). */
  times?: number;
}

export interface RequestRecord {
  server: 'hub' | 'cdn';
  path: string;
  status: number;
  range?: string;
  authorization?: string;
  /** Body bytes actually written. */
  bytes: number;
}

export interface FakeHub {
  endpoint: string;
  cdnOrigin: string;
  requests: RequestRecord[];
  /** Body bytes sent by file downloads (cdn blobs and /files) since start or the last reset(). */
  downloadedBytes(): number;
  /** Queue a fault for the next downloads. */
  fault(f: FakeFault): void;
  reset(): void;
  /** sha256 (hex) of a served file, by repository path or /files name. */
  sha256Of(repo: string, path: string): string;
  close(): Promise<void>;
}

interface Blob {
  data: Buffer;
  sha256: string;
  gitOid: string;
  lfs: boolean;
}

function makeBlob(f: FakeFile): Blob {
  const data = f.content ?? readFileSync(f.source!);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const gitOid = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
  return { data, sha256, gitOid, lfs: f.lfs ?? /\.gguf$/i.test(f.path) };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startFakeHub(opts: FakeHubOptions): Promise<FakeHub> {
  const repos = new Map<string, Map<string, Blob>>();
  for (const [repo, files] of Object.entries(opts.repos)) repos.set(repo, new Map(files.map((f) => [f.path, makeBlob(f)])));
  const plainFiles = new Map(Object.entries(opts.files ?? {}).map(([name, source]) => [name, makeBlob({ path: name, source })]));
  const blobsBySha = new Map<string, Blob>();
  for (const files of repos.values()) for (const b of files.values()) blobsBySha.set(b.sha256, b);

  const requests: RequestRecord[] = [];
  let faults: Required<Omit<FakeFault, 'cutAfter'>> & { cutAfter?: number } | undefined;
  let faultsLeft = 0;
  let downloaded = 0;

  const record = (server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, bytes = 0) => {
    requests.push({ server, path: req.url ?? '', status: res.statusCode, range: req.headers.range, authorization: req.headers.authorization, bytes });
  };

  /** Serve `blob` honouring Range and the queued faults. */
  const sendBlob = (server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, blob: Blob) => {
    const fault = faultsLeft > 0 ? faults : undefined;
    if (fault) faultsLeft--;
    let data = blob.data;
    if (fault?.corrupt) {
      data = Buffer.from(data);
      data[data.length >> 1] ^= 0xff;
    }
    const size = data.length;
    let start = 0;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m && !fault?.ignoreRange) {
      start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return record(server, req, res);
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
      data = data.subarray(start, end + 1);
    } else {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' });
    }
    if (fault?.cutAfter !== undefined && fault.cutAfter < data.length) {
      const part = data.subarray(0, fault.cutAfter);
      downloaded += part.length;
      record(server, req, res, part.length);
      // end (FIN) rather than destroy (RST), so the client receives every byte sent before the cut
      res.write(part, () => res.socket?.end());
      return;
    }
    downloaded += data.length;
    record(server, req, res, data.length);
    res.end(data);
  };

  const cdn = createServer((req, res) => {
    const m = /^\/blobs\/([0-9a-f]{64})/.exec(req.url ?? '');
    const blob = m ? blobsBySha.get(m[1]) : undefined;
    if (!blob) { res.writeHead(404).end('no such blob'); return record('cdn', req, res); }
    sendBlob('cdn', req, res, blob);
  });
  const cdnOrigin = await listen(cdn);

  const json = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    record('hub', req, res);
  };
  const hubError = (req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string) => {
    json(req, res, status, { error: message }, { 'x-error-code': code, 'x-error-message': message });
  };
  /** The real hub answers 401 for unknown repositories to anonymous callers, 404 to authenticated ones. */
  const repoNotFound = (req: IncomingMessage, res: ServerResponse) =>
    hubError(req, res, req.headers.authorization ? 404 : 401, 'RepoNotFound', 'Repository not found');

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    let m: RegExpExecArray | null;

    if (path === '/api/models') {
      const q = (url.searchParams.get('search') ?? '').toLowerCase();
      const author = url.searchParams.get('author');
      const ids = [...repos.keys()].filter((r) => r.toLowerCase().includes(q) && (!author || r.startsWith(`${author}/`)));
      return json(req, res, 200, ids.map((id) => ({ id, modelId: id })));
    }
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(path))) {
      const files = repos.get(m[1]);
      if (!files) return repoNotFound(req, res);
      const entries = [...files.entries()].map(([p, b]) => ({
        type: 'file', oid: b.gitOid, size: b.lfs ? b.data.length : b.data.length, path: p,
        ...(b.lfs ? { lfs: { oid: b.sha256, size: b.data.length, pointerSize: 134 } } : {}),
      }));
      const pageSize = opts.pageSize ?? entries.length;
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < entries.length) headers.link = `<${url.pathname}?recursive=true&cursor=${cursor + pageSize}>; rel="next"`;
      return json(req, res, 200, page, headers);
    }
    if ((m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path))) {
      const files = repos.get(m[1]);
      if (!files) return repoNotFound(req, res);
      const token = opts.gated?.[m[1]];
      if (token && req.headers.authorization !== `Bearer ${token}`) {
        return hubError(req, res, req.headers.authorization ? 403 : 401, 'GatedRepo', `Access to model ${m[1]} is restricted.`);
      }
      const blob = files.get(m[3]);
      if (!blob) return hubError(req, res, 404, 'EntryNotFound', 'Entry not found');
      res.writeHead(302, {
        location: `${cdnOrigin}/blobs/${blob.sha256}?name=${encodeURIComponent(m[3])}`,
        'x-linked-size': String(blob.data.length),
        'x-linked-etag': `"${blob.sha256}"`,
      }).end();
      return record('hub', req, res);
    }
    if ((m = /^\/files\/(.+)$/.exec(path))) {
      const blob = plainFiles.get(m[1]);
      if (!blob) { res.writeHead(404).end('not found'); return record('hub', req, res); }
      return sendBlob('hub', req, res, blob);
    }
    res.writeHead(404).end('not found');
    record('hub', req, res);
  });
  const endpoint = await listen(hub);

  return {
    endpoint,
    cdnOrigin,
    requests,
    downloadedBytes: () => downloaded,
    fault(f) {
      faults = { corrupt: f.corrupt ?? false, ignoreRange: f.ignoreRange ?? false, times: f.times ?? 1, cutAfter: f.cutAfter };
      faultsLeft = f.times ?? 1;
    },
    reset() {
      requests.length = 0;
      downloaded = 0;
      faultsLeft = 0;
    },
    sha256Of(repo, path) {
      const b = repo ? repos.get(repo)?.get(path) : plainFiles.get(path);
      if (!b) throw new Error(`fake hub has no ${repo}/${path}`);
      return b.sha256;
    },
    async close() {
      for (const s of [hub, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

/** Repositories built from the small models in ../shared/models (read in place, never copied). */
export const TEST_REPOS = {
  stories: 'test-org/stories260K-GGUF',
  tiny: 'test-org/tiny-random-GGUF',
  gated: 'gated-org/stories260K-GGUF',
} as const;

/** The shared model files the standard fake hub serves, relative to ../shared (for needData). */
export const TEST_HUB_DATA = [
  'models/stories260K-q8_0.gguf', 'models/stories260K-q4_0.gguf', 'models/stories260K.gguf', 'models/llama-2-tiny-random.gguf',
];

export const GATED_TOKEN = 'hf_test_token';

/**
 * The fake hub the tests use (and the `run hf:…` end-to-end test can use):
 *   hf:test-org/stories260K-GGUF:Q8_0 | :Q4_0 | :F32 (default Q8_0), hf:test-org/tiny-random-GGUF (single file),
 *   hf:gated-org/stories260K-GGUF (downloads need HF_TOKEN=hf_test_token), {endpoint}/files/stories260K-q8_0.gguf.
 * `shared(p)` maps a TEST_HUB_DATA path to its absolute path (sharedPath from test/helpers/data.ts).
 */
export function startTestHub(shared: (p: string) => string, extra: Partial<FakeHubOptions> = {}): Promise<FakeHub> {
  const q8 = shared('models/stories260K-q8_0.gguf');
  return startFakeHub({
    repos: {
      [TEST_REPOS.stories]: [
        { path: 'stories260K-Q8_0.gguf', source: q8 },
        { path: 'stories260K-Q4_0.gguf', source: shared('models/stories260K-q4_0.gguf') },
        { path: 'stories260K-F32.gguf', source: shared('models/stories260K.gguf') },
        { path: 'README.md', content: Buffer.from('# stories260K\n') },
      ],
      [TEST_REPOS.tiny]: [{ path: 'llama-2-tiny-random.gguf', source: shared('models/llama-2-tiny-random.gguf') }],
      [TEST_REPOS.gated]: [{ path: 'stories260K-Q8_0.gguf', source: q8 }],
    },
    gated: { [TEST_REPOS.gated]: GATED_TOKEN },
    files: { 'stories260K-q8_0.gguf': q8 },
    ...extra,
  });
}
