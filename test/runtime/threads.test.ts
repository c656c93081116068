import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { defaultThreadCount, MAX_THREADS, parseThreadCount } from '../../src/runtime/threads.js';

function withThreadsEnv(value: string | undefined, fn: () => void): void {
  const saved = process.env.TSLLAMA_THREADS;
  if (value === undefined) delete process.env.TSLLAMA_THREADS;
  else process.env.TSLLAMA_THREADS = value;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.TSLLAMA_THREADS;
    else process.env.TSLLAMA_THREADS = saved;
  }
}

test('defaultThreadCount: available parallelism when TSLLAMA_THREADS is unset', () => {
  withThreadsEnv(undefined, () => assert.equal(defaultThreadCount(), Math.min(os.availableParallelism(), MAX_THREADS)));
  withThreadsEnv('', () => assert.equal(defaultThreadCount(), Math.min(os.availableParallelism(), MAX_THREADS)));
});

test('defaultThreadCount honours TSLLAMA_THREADS', () => {
  withThreadsEnv('3', () => assert.equal(defaultThreadCount(), 3));
  withThreadsEnv(' 17 ', () => assert.equal(defaultThreadCount(), 17));
  withThreadsEnv('1', () => assert.equal(defaultThreadCount(), 1));
});

test('defaultThreadCount rejects TSLLAMA_THREADS that is not a positive integer', () => {
  for (const bad of ['0', 'abc', '-2', '1.5', '2x', String(MAX_THREADS + 1)]) {
    withThreadsEnv(bad, () => assert.throws(() => defaultThreadCount(), new RegExp(`TSLLAMA_THREADS must be .* got "${bad.replace('.', '\\.')}"`)));
  }
});

test('parseThreadCount names its source', () => {
  assert.equal(parseThreadCount('8', '--threads'), 8);
  assert.throws(() => parseThreadCount('zero', '--threads'), /--threads must be/);
});
