import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@specml/data';

/** Who holds a run folder: written atomically (exclusive create) before anything else is written there. */
interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  release(): void;
}

export const LOCK_FILE = 'lock.json';

/**
 * Makes this process the one writer of a run folder. A live holder (on this host) or a holder on another
 * host refuses with who holds it; a holder whose process is gone is taken over with a note.
 */
export function lockRunFolder(dir: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      const release = () => {
        try {
          if ((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).pid === mine.pid) unlinkSync(path);
        } catch {
          // already gone (the folder was removed): nothing to release
        }
      };
      process.once('exit', release);
      return {
        release: () => {
          process.removeListener('exit', release);
          release();
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    if (holder && (holder.host !== mine.host || isAlive(holder.pid))) {
      throw new UserError(
        `${dir} is in use by pid ${holder.pid} on ${holder.host} since ${holder.startedAt} (wait for that run to end or stop it; if it is gone, delete ${path})`,
      );
    }
    process.stderr.write(`note: ${dir} was locked by pid ${holder?.pid ?? '?'}, which is no longer running; taking it over\n`);
    unlinkSync(path);
  }
  throw new UserError(`${dir}: another process took the run folder's lock at the same moment (try again)`);
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : undefined;
  } catch {
    return undefined; // torn or empty: its writer died before finishing it
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
