import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, temporaryFolder } from '../test-kit/test-cli.js';

const work = temporaryFolder('run-lock');
const lockModule = join(root, 'packages/runner/dist/run/run-lock.js');

/**
 * One process trying to lock `dir` at `startAt` (all contenders at once, after their start-up): it prints
 * `locked` or `refused`; a holder keeps the lock until `release()` (after every contender has answered, so
 * that a contender slowed down by a loaded machine still meets a live holder, never a released lock).
 */
function contender(dir: string, startAt: number): { outcome: Promise<string>; release(): Promise<void> } {
  const script = `import(${JSON.stringify(lockModule)}).then(async ({ lockRunFolder }) => {
    while (Date.now() < ${startAt});
    try {
      const lock = lockRunFolder(${JSON.stringify(dir)});
      console.log('locked');
      process.stdin.on('end', () => { lock.release(); process.exit(0); });
      process.stdin.resume();
    } catch (error) { console.log(error.name === 'UserError' ? 'refused' : 'crashed: ' + error.message); process.exit(0); }
  });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const outcome = new Promise<string>((done) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) done(out.trim());
    });
    void exited.then(() => done(out.trim()));
  });
  return {
    outcome,
    release: () => {
      child.stdin.end();
      return exited;
    },
  };
}

describe('the run folder lock', () => {
  it('lets exactly one of many processes take over the lock of a dead holder, round after round', async () => {
    for (let round = 0; round < 8; round++) {
      const dir = join(work, `round-${round}`);
      mkdirSync(dir);
      // A holder that is gone: a pid no process of this host has.
      writeFileSync(join(dir, 'lock.json'), `${JSON.stringify({ pid: 2 ** 22 + round, host: hostname(), startedAt: '2026-11-30T00:00:00.000Z' })}\\n`);
      const startAt = Date.now() + 1500;
      const contenders = Array.from({ length: 6 }, () => contender(dir, startAt));
      const outcomes = await Promise.all(contenders.map((one) => one.outcome));
      await Promise.all(contenders.map((one) => one.release()));
      expect(outcomes.filter((outcome) => outcome === 'locked'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome !== 'locked' && outcome !== 'refused')).toEqual([]);
    }
  });

  it('takes over a dead holder\'s lock even where a process was killed while taking it over (its guard left behind)', async () => {
    const dir = join(work, 'guard-left');
    mkdirSync(dir);
    writeFileSync(join(dir, 'lock.json'), `${JSON.stringify({ pid: 2 ** 22 + 99, host: hostname(), startedAt: '2026-11-30T00:00:00.000Z' })}\n`);
    // The guard of a taker SIGKILLed between its guard and its removal of the dead lock (a sweep coordinator killed at random).
    writeFileSync(join(dir, 'lock.json.takeover'), `${2 ** 22 + 98}\n`);
    const one = contender(dir, Date.now());
    expect(await one.outcome).toBe('locked');
    await one.release();
  });
});
