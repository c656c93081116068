// A lock file per download (`<dest>.lock` holding the pid), so two processes never append to one .part.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { HubError } from './errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock or throw HubError busy; a lock left by a dead process is taken over. Returns the release function. */
export function acquireLock(path: string, label: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => { try { unlinkSync(path); } catch { /* gone */ } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || alive(pid))) {
      throw new HubError('busy', `${label} is being downloaded by another tsllama process (pid ${pid}); wait for it, or remove ${path} if that is wrong`);
    }
    try { unlinkSync(path); } catch { /* raced with its owner */ }
  }
  throw new HubError('busy', `cannot take the download lock ${path}`);
}
