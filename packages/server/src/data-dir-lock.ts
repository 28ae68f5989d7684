/**
 * The data directory's lock file, `keel.pid` (PostgreSQL's postmaster.pid): one process owns a
 * data directory for its whole life, across the engine being closed and reopened by promotion
 * or a base backup. Two nodes on one directory would interleave WAL and page writes and corrupt
 * both, so a second start refuses with 55006 and names the owner.
 *
 * A lock left by a process that died (kill -9, a power cut) is stale and is taken over: its pid
 * no longer runs, or it is this process's own pid (a container restarts its only process with
 * the pid the dead one had).
 * Exports: acquireDataDirLock, DataDirLock, LOCK_FILE.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { KeelError, SqlState } from '@keel/errors';

export const LOCK_FILE = 'keel.pid';

export interface DataDirLock {
  /** Removes the lock file; called once the node has stopped writing the directory. */
  release(): void;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs under another user, which still makes it a live owner.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function writeLock(file: string, flags: 'wx' | 'w'): void {
  const fd = openSync(file, flags, 0o600);
  try {
    writeSync(fd, `${process.pid}\n${new Date().toISOString()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Takes the data directory (which must exist) for this process, or throws 55006. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  try {
    writeLock(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = ownerOf(file);
    if (owner !== null && owner !== process.pid && processRuns(owner)) {
      throw new KeelError(
        SqlState.ObjectInUse,
        `data directory ${dataDir} is in use by process ${owner} (${file})`,
        {
          hint: `Stop that keel process first. If process ${owner} is not a keel node, remove ${file} and start again.`,
        },
      );
    }
    writeLock(file, 'w');
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      if (ownerOf(file) === process.pid) rmSync(file, { force: true });
    },
  };
}
