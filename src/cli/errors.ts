// One-line messages for errors a user can act on; stack traces only with TSLLAMA_DEBUG=1.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function formatError(e: unknown): string {
  if (e instanceof Error) return `tsllama: error: ${e.message}`;
  return `tsllama: error: ${String(e)}`;
}
