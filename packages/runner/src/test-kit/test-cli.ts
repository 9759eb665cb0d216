import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

// The shared test kit: one way to run the CLI (to completion, or in the background), temporary folders
// that are removed after their test file, the small spec most tests train, and (in test-fixtures.global.ts)
// one trained run that the predict and serve tests share.

/** The repository root, where `npm test` has built packages/runner/dist. */
export const root = resolve(import.meta.dirname, '../../../..');
export const cli = join(root, 'packages/runner/dist/main.js');
/** As CI runs it: no TTY progress bars, no INIT_CWD from an outer `nx run`, and no queue from the caller's environment. */
export const cliEnv = { ...process.env, CI: 'true', INIT_CWD: '', SPECML_QUEUE: '' };

/** Runs the built CLI to completion from the repository root. */
export function specml(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, env: { ...cliEnv, ...env }, encoding: 'utf8' });
  return { code: result.status, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Starts the built CLI in the background, in its own process group (so that a kill of -pid reaches every
 * process of the run), collecting its output.
 */
export function startSpecml(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...cliEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** A fresh folder under the system's temp dir, removed once the test file that made it is done. */
export function temporaryFolder(purpose: string): string {
  const folder = mkdtempSync(join(tmpdir(), `specml-${purpose}-`));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** The run folder a successful `exp` printed as its last line. */
export const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1)!;

/** The small spec most CLI tests train: 3000/1000 images, one 64-unit hidden layer, batch 32, 2 epochs. */
export const SMALL_SPEC = `name: small
data: { trainLimit: 3000, testLimit: 1000 }
model:
  layers:
    - { units: 64, activation: relu }
    - { units: 10, activation: softmax }
optimizer: { name: adam, learningRate: 0.001 }
batchSize: 32
epochs: 2
`;

/** Polls every 25 ms until `done` holds (it may be async), for at most `seconds`; says whether it came true. */
export async function waitFor(done: () => boolean | Promise<boolean>, seconds = 30): Promise<boolean> {
  for (let attempt = 0; attempt < seconds * 40; attempt++) {
    if (await done()) return true;
    await new Promise((wake) => setTimeout(wake, 25));
  }
  return false;
}

/** The smallest spec the sweep and queue tests train: 2000/500 images, one 32-unit layer, 2 epochs. */
export const TINY_SPEC = (name: string) => `name: ${name}
data: { trainLimit: 2000, testLimit: 500 }
model:
  layers:
    - { units: 32, activation: relu }
    - { units: 10, activation: softmax }
epochs: 2
`;
