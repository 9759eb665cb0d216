import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A run id that sorts by start time (UTC, to the millisecond) and is unique across processes: a random
 * suffix, and mkdir without `recursive` refusing an existing folder.
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('Z', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function createRunFolder(runsDir: string, name: string): { dir: string; runId: string } {
  const parent = join(runsDir, name);
  mkdirSync(parent, { recursive: true });
  for (;;) {
    const runId = newRunId();
    const dir = join(parent, runId);
    try {
      mkdirSync(dir);
      return { dir, runId };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
