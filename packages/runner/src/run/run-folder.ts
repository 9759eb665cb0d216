import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkedName, removeInside } from '@specml/data';
import { LOCK_FILE, lockRunFolder, type RunLock } from './run-lock.js';

/**
 * A run id that sorts by start time (UTC, to the millisecond) and is unique across processes: a random
 * suffix, and mkdir without `recursive` refusing an existing folder.
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('Z', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A sweep trial's run folder name: the sweep's id and the trial's index, so that a trial only ever has one. */
export function trialRunId(sweepFolderName: string, index: number): string {
  return `${sweepFolderName.replace(/^sweep-/, '')}-t${index}`;
}

/**
 * A new run folder, locked by this process. With `runId` (a sweep's trial), the folder has that fixed name:
 * what an earlier attempt left there without a checkpoint to resume (a trial killed before its first
 * epoch ended) is cleared, unless a live process still holds it.
 */
export function createRunFolder(runsDir: string, name: string, runId?: string): { dir: string; runId: string; lock: RunLock } {
  const parent = join(runsDir, name);
  mkdirSync(parent, { recursive: true });
  if (runId !== undefined) {
    const dir = join(parent, checkedName(runId, 'the run id'));
    mkdirSync(dir, { recursive: true });
    const lock = lockRunFolder(dir);
    for (const entry of readdirSync(dir)) if (entry !== LOCK_FILE) removeInside(dir, join(dir, entry));
    return { dir, runId, lock };
  }
  for (;;) {
    const runId = newRunId();
    const dir = join(parent, runId);
    try {
      mkdirSync(dir);
      return { dir, runId, lock: lockRunFolder(dir) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
