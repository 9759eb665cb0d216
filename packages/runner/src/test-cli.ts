import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, where `npm test` has built packages/runner/dist. */
export const root = resolve(import.meta.dirname, '../../..');
export const cli = join(root, 'packages/runner/dist/cli.js');
/** As CI runs it: no TTY progress bars, and no INIT_CWD from an outer `nx run`. */
export const cliEnv = { ...process.env, CI: 'true', INIT_CWD: '' };

/** Runs the built CLI to completion from the repository root. */
export function specml(args: readonly string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, env: cliEnv, encoding: 'utf8' });
  return { code: result.status, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function temporaryFolder(purpose: string): string {
  return mkdtempSync(join(tmpdir(), `specml-${purpose}-`));
}

/** The run folder a successful `exp` printed as its last line. */
export const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1)!;
