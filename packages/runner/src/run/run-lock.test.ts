import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, temporaryFolder } from '../test-kit/test-cli.js';

const work = temporaryFolder('run-lock');
const lockModule = join(root, 'packages/runner/dist/run/run-lock.js');

/**
 * One process trying to lock `dir` at `startAt` (all contenders at once, after their start-up) and holding it
 * half a second: prints `locked` or `refused`.
 */
function contender(dir: string, startAt: number): Promise<string> {
  const script = `import(${JSON.stringify(lockModule)}).then(async ({ lockRunFolder }) => {
    while (Date.now() < ${startAt});
    try { const lock = lockRunFolder(${JSON.stringify(dir)}); console.log('locked'); await new Promise((r) => setTimeout(r, 500)); lock.release(); }
    catch (error) { console.log(error.name === 'UserError' ? 'refused' : 'crashed: ' + error.message); }
  });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((done) => child.on('exit', () => done(out.trim())));
}

describe('the run folder lock', () => {
  it('lets exactly one of many processes take over the lock of a dead holder, round after round', async () => {
    for (let round = 0; round < 8; round++) {
      const dir = join(work, `round-${round}`);
      mkdirSync(dir);
      // A holder that is gone: a pid no process of this host has.
      writeFileSync(join(dir, 'lock.json'), `${JSON.stringify({ pid: 2 ** 22 + round, host: hostname(), startedAt: '2026-11-30T00:00:00.000Z' })}\\n`);
      const startAt = Date.now() + 1500;
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => contender(dir, startAt)));
      expect(outcomes.filter((outcome) => outcome === 'locked'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome !== 'locked' && outcome !== 'refused')).toEqual([]);
    }
  });
});
