import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Each case is a Node process of its own (the compiled package, as the CLI runs it): exitAfterWork ends it.
const work = mkdtempSync(join(tmpdir(), 'specml-exit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function nodeEnding(lines: string[]) {
  const script = [`const nodesOwn = process.listeners('exit');`, `const { exitAfterWork } = await import('@specml/trainer');`, ...lines].join('\n');
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

describe('exitAfterWork', () => {
  it('ends the process with the code given, after everything written to a pipe', () => {
    const line = 'x'.repeat(99);
    const ended = nodeEnding([`for (let i = 0; i < 20000; i++) process.stdout.write('${line}\\n');`, `process.stderr.write('told\\n');`, `await exitAfterWork(3, nodesOwn);`, `process.stdout.write('after the end\\n');`]);
    expect(ended.status).toBe(3);
    expect(ended.stdout.length).toBe(20000 * 100);
    expect(ended.stdout.endsWith(`${line}\n`)).toBe(true);
    expect(ended.stderr).toBe('told\n');
  });

  it("leaves the ending to Node where something waits for the 'exit' event (a run folder's lock is released there)", () => {
    const file = join(work, 'released');
    const ended = nodeEnding([
      `const { writeFileSync } = await import('node:fs');`,
      `process.once('exit', (code) => writeFileSync(${JSON.stringify(file)}, 'released with ' + code));`,
      `await exitAfterWork(2, nodesOwn);`,
    ]);
    expect(ended.status).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('released with 2');
  });
});
