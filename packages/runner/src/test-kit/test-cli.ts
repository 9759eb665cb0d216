import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, inject } from 'vitest';

// The shared test kit: one way to run the CLI (to completion, or in the background), temporary folders
// that are removed after their test file, the small spec most tests train, and (in test-fixtures.global.ts)
// one trained run that the predict and serve tests share.

/** The repository root, where `npm test` has built packages/runner/dist. */
export const root = resolve(import.meta.dirname, '../../../..');
export const cli = join(root, 'packages/runner/dist/main.js');
/** As CI runs it: no TTY progress bars, no INIT_CWD from an outer `nx run`, and no queue from the caller's environment. */
// A checkpoint every epoch (the default is every 10 s of training): the tests stop runs after a given epoch and resume them.
export const cliEnv = { ...process.env, CI: 'true', INIT_CWD: '', SPECML_QUEUE: '', SPECML_CHECKPOINT_SECONDS: '0' };

/** Runs the built CLI to completion, from the repository root unless `cwd` says otherwise. */
export function specml(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = root) {
  // A command that hangs must not hang the test run with it: spawnSync blocks the event loop, so the test's
  // own timeout could never fire. This bound is far above any command the tests run.
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, env: { ...cliEnv, ...env }, encoding: 'utf8', timeout: SPECML_COMMAND_LIMIT_MS, killSignal: 'SIGKILL' });
  return { code: result.status, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Starts the built CLI in the background, in its own process group (so that a kill of -pid reaches every
 * process of the run), collecting its output.
 */
export function startSpecml(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = root) {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...cliEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** How long one `specml` command of a test may run before it is killed (status null). */
const SPECML_COMMAND_LIMIT_MS = 300_000;

/** The exit code of a command from startSpecml; fails with its output if it is still running after `seconds`. */
export async function exitCodeWithin(started: ReturnType<typeof startSpecml>, seconds: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const { stdout, stderr } = started.output();
      reject(new Error(`still running after ${seconds} s:\n${stdout}${stderr}`));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([started.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a long-running command (a server, a worker) in the background and waits until its output says
 * it is ready (`ready`'s first group, if any, is returned as `address`); fails at once, with its output,
 * if it exits first, and after `seconds` if it never gets ready.
 */
export async function startServing(args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, seconds = 30) {
  const started = startSpecml(args, env);
  const becameReady = await waitFor(() => ready.test(started.output().stdout) || started.child.exitCode !== null, seconds);
  const match = ready.exec(started.output().stdout);
  if (!becameReady || !match) {
    started.child.kill('SIGKILL');
    const { stdout, stderr } = started.output();
    throw new Error(`specml ${args.join(' ')} did not get ready (${started.child.exitCode === null ? `no ${ready} within ${seconds} s` : `it exited with ${started.child.exitCode}`}):\n${stdout}${stderr}`);
  }
  return { ...started, address: match[1] ?? '' };
}

/** A fresh folder under the system's temp dir, removed once the test file that made it is done. */
export function temporaryFolder(purpose: string): string {
  const folder = mkdtempSync(join(tmpdir(), `specml-${purpose}-`));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** A sweep's stderr without the one warning that it chooses on a test column (a sweep without validation data gives it). */
export const withoutTestSetWarning = (stderr: string) => stderr.replace(/^warning: sweep\.metric: choosing on test_\w+ tunes to the test set[^\n]*\n/m, '');

/** The run folder a successful `exp` printed as its last line. */
export const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1)!;

/**
 * A metrics.csv's text without its timing columns (epoch, losses and accuracies only): what must be
 * identical between two runs that learned the same, however long each took.
 */
export const withoutTimings = (csv: string) => csv.trim().split('\n').map((line) => line.split(',').slice(0, 5).join(','));

/** The same for a run folder's metrics.csv. */
export const learningOf = (runDir: string) => withoutTimings(readFileSync(join(runDir, 'metrics.csv'), 'utf8'));

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

/**
 * The shared trained digits run (test-fixtures.global.ts has its spec): a completed run folder with a model
 * that recognises drawn digits. Trained by the first test file that asks, under a lock that the others
 * wait on, and then reused by every test file of the run.
 */
export function digitsRun(): string {
  const folder = inject('fixturesDir');
  const done = join(folder, 'digits-run.txt');
  const train = `test -f "${done}" || { "${process.execPath}" "${cli}" exp "${join(folder, 'digits.yaml')}" --runs-dir "${join(folder, 'runs')}" > "${done}.out" && tail -n 1 "${done}.out" > "${done}"; }`;
  const trained = spawnSync('flock', [join(folder, 'digits.lock'), 'sh', '-c', train], { cwd: root, env: cliEnv, encoding: 'utf8' });
  if (trained.status !== 0) throw new Error(`the shared digits run did not train (exit ${trained.status}):\n${trained.stderr}`);
  return readFileSync(done, 'utf8').trim();
}

/** Polls every 25 ms until `done` holds (it may be async), for at most `seconds`; says whether it came true. */
export async function waitFor(done: () => boolean | Promise<boolean>, seconds = 30): Promise<boolean> {
  // Bounded by the clock, not by a count of polls (a slow check on a loaded machine would stretch a count).
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    if (await done()) return true;
    await new Promise((wake) => setTimeout(wake, 25));
  }
  return done();
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
