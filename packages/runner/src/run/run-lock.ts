import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@specml/data';
import { RUN_FILES } from '@specml/reporter';

/** Who holds a run folder: written atomically (exclusive create) before anything else is written there. */
interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  release(): void;
}

export const LOCK_FILE = RUN_FILES.lock;
/** A sweep folder's lock: one coordinator runs a sweep at a time. */
export const SWEEP_LOCK_FILE = 'sweep.lock.json';

/**
 * Makes this process the one writer of a run folder. A live holder (on this host) or a holder on another
 * host refuses with who holds it; a holder whose process is gone is taken over with a note.
 */
export function lockRunFolder(dir: string): RunLock {
  return lockFolder(dir, LOCK_FILE, 'that run');
}

/** The same for a sweep folder: a second `exp --resume` of a sweep that is running is refused. */
export function lockSweepFolder(dir: string): RunLock {
  return lockFolder(dir, SWEEP_LOCK_FILE, 'that sweep');
}

function lockFolder(dir: string, file: string, holderName: string): RunLock {
  const path = join(dir, file);
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  // Bounded by time, and longer than a take-over guard can last: a process killed while it held the guard
  // leaves it for GUARD_STALE_MS, and a count of quick attempts ran out before it cleared.
  for (const until = Date.now() + GUARD_STALE_MS + 2000; Date.now() < until; ) {
    if (createWhole(path, `${JSON.stringify(mine)}\n`)) {
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
    }
    const seen = readText(path);
    const holder = seen === undefined ? undefined : holderOf(seen);
    if (holder && (holder.host !== mine.host || isAlive(holder.pid))) {
      throw new UserError(
        `${dir} is in use by pid ${holder.pid} on ${holder.host} since ${holder.startedAt} (wait for ${holderName} to end or stop it; if it is gone, delete ${path})`,
      );
    }
    if (seen !== undefined && removeStaleLock(path, seen)) {
      process.stderr.write(`note: ${dir} was locked by pid ${holder?.pid ?? '?'}, which is no longer running; taking it over\n`);
    }
    sleepSync(10 + Math.random() * 40); // another process is taking it over: look again in a moment
  }
  throw new UserError(`${dir}: another process took the run folder's lock at the same moment (try again)`);
}

/**
 * Creates `path` holding `text` if it does not exist, whole or not at all: written beside it, then linked into
 * place (link refuses an existing name). An exclusive create followed by a write would leave a moment in
 * which another process reads an empty lock, takes it for a writer that died, and removes it.
 */
function createWhole(path: string, text: string): boolean {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, text);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Removes a dead holder's lock, but only the one that was seen: two processes that both find it dead must
 * not both go on, and the later one must not delete the lock the first has just made. A guard file
 * (exclusive create) lets one of them at a time compare and remove; a guard left by a process that died
 * holding it is cleared after GUARD_STALE_MS.
 */
function removeStaleLock(path: string, seen: string): boolean {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch {
      // gone meanwhile: the other taker finished
    }
    return false;
  }
  try {
    if (readText(path) !== seen) return false;
    unlinkSync(path);
    return true;
  } finally {
    unlinkSync(guard);
  }
}

const GUARD_STALE_MS = 5000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Waits (at most `seconds`) until no live process of this host holds the run folder: a trial process whose
 * coordinator was killed notices within a second and marks its run interrupted; a resume that starts
 * sooner must not be refused for it.
 */
export async function waitForRunFolder(dir: string, seconds = 10): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const holder = readHolder(join(dir, LOCK_FILE));
    if (!holder || holder.host !== hostname() || !isAlive(holder.pid) || Date.now() > until) return;
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

function readHolder(path: string): LockHolder | undefined {
  const text = readText(path);
  return text === undefined ? undefined : holderOf(text);
}

function holderOf(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : undefined;
  } catch {
    return undefined; // torn or empty: its writer died before finishing it
  }
}

/**
 * Whether a process of this machine is still running. A zombie (state Z in /proc/PID/stat: killed, but its
 * parent is gone and nothing reaps it, as under a PID 1 that does not reap) answers signal 0 like a live
 * process, yet will never write again: it counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return processState(pid) !== 'Z';
}

/** The state letter of /proc/PID/stat (R, S, D, Z, …), or undefined where /proc does not say. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (in parentheses) may hold spaces and parentheses: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 1).trim().split(' ')[0];
  } catch {
    return undefined;
  }
}
