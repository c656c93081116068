// tsllama's OpenAI-compatible HTTP server (see docs/server.md).
export { createServer, type ServerOptions, type TsllamaServer } from './server.js';
export type { StatsSnapshot } from './metrics.js';
export { SERVER_SAMPLING_DEFAULTS } from './request.js';
