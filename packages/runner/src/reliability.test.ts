import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, cli, cliEnv, temporaryFolder } from './test-cli.js';

const work = temporaryFolder('reliability');

/** About 2 s of training in 30 short epochs, so that a kill lands mid-run. */
const LONG = `name: long
data: { trainLimit: 6000, testLimit: 1000 }
model:
  layers:
    - { units: 64, activation: relu }
    - { units: 10, activation: softmax }
batchSize: 15
epochs: 30
`;
const specFile = join(work, 'long.yaml');
writeFileSync(specFile, LONG);

/** The same for a convolutional net with batch norm and dropout, on the native engine. */
const CONV = `name: conv
data: { trainLimit: 1200, testLimit: 500 }
model:
  initializer: heNormal
  layers:
    - { type: conv2d, filters: 4, kernelSize: 3, activation: relu }
    - { type: batchNormalization, momentum: 0.9 }
    - { type: maxPooling2d }
    - { type: dropout, rate: 0.3 }
    - { units: 10, activation: softmax }
backend: native
batchSize: 32
epochs: 20
`;
const convSpecFile = join(work, 'conv.yaml');
writeFileSync(convSpecFile, CONV);

const columnsWithoutTimings = (csv: string) => csv.trim().split('\n').map((line) => line.split(',').slice(0, 5).join(','));

function startRun(runsDir: string, args: string[] = ['exp', specFile, '--runs-dir', runsDir]) {
  // Its own process group, so that a kill reaches every process of the run.
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: cliEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Waits until the run has written metrics for `epoch`, and returns its folder. */
async function waitForEpoch(runsDir: string, epoch: number, child: ChildProcess, name = 'long'): Promise<string> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const folder = join(runsDir, name);
    if (existsSync(folder)) {
      for (const runId of readdirSync(folder)) {
        const metrics = join(folder, runId, 'metrics.csv');
        if (existsSync(metrics) && readFileSync(metrics, 'utf8').trim().split('\n').length >= epoch + 2) return join(folder, runId);
      }
    }
    if (child.exitCode !== null) throw new Error('the run ended before the epoch was reached');
    await new Promise((done) => setTimeout(done, 10));
  }
  throw new Error('timed out waiting for the epoch');
}

function uninterruptedMetrics(spec = specFile): string[] {
  const runsDir = join(work, 'runs-reference');
  const result = spawnSync(process.execPath, [cli, 'exp', spec, '--runs-dir', runsDir], { cwd: root, env: cliEnv, encoding: 'utf8' });
  expect(result.status).toBe(0);
  return columnsWithoutTimings(readFileSync(join(result.stdout.trim().split('\n').at(-1)!, 'metrics.csv'), 'utf8'));
}

describe('reliability', () => {
  it.each([
    ['a dense stack', 'long', specFile, 30],
    ['a conv net with batch norm and dropout on the native engine', 'conv', convSpecFile, 20],
  ])('resumes %s after a SIGKILL of the whole process group and ends with the uninterrupted metrics', async (_, name, spec, epochCount) => {
    const runsDir = join(work, `runs-kill-${name}`);
    const run = startRun(runsDir, ['exp', spec, '--runs-dir', runsDir]);
    const runDir = await waitForEpoch(runsDir, 5, run.child, name);
    process.kill(-run.child.pid!, 'SIGKILL');
    expect(await run.exited).toBe(null);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).status).toBe('running');
    expect(existsSync(join(runDir, 'checkpoint.bin'))).toBe(true);
    expect(readdirSync(runDir).filter((file) => file.endsWith('.tmp'))).toEqual([]);

    const resumed = spawnSync(process.execPath, [cli, 'exp', '--resume', runDir], { cwd: root, env: cliEnv, encoding: 'utf8' });
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^resuming ${name}/\\S+ after epoch \\d+ of ${epochCount}$`, 'm'));
    expect(resumed.stdout.trim().split('\n').at(-1)).toBe(runDir);

    const metrics = readFileSync(join(runDir, 'metrics.csv'), 'utf8');
    const epochs = metrics.trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
    expect(epochs).toEqual(Array.from({ length: epochCount + 1 }, (_, epoch) => epoch)); // no torn, missing or repeated rows
    expect(columnsWithoutTimings(metrics)).toEqual(uninterruptedMetrics(spec));
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', resumes: 1, epochsCompleted: epochCount, backend: 'native' });
    expect(existsSync(join(runDir, 'model', 'model.json'))).toBe(true);
  });

  it('marks a run interrupted on SIGINT, says how to resume, exits 130', async () => {
    const runsDir = join(work, 'runs-int');
    const run = startRun(runsDir);
    const runDir = await waitForEpoch(runsDir, 2, run.child);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.output().stderr).toBe(
      `interrupted by SIGINT: the run is marked interrupted; continue it with: npx nx run runner:exp --resume ${runDir}\nrun folder: ${runDir}\n`,
    );
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).status).toBe('interrupted');
  });

  it('refuses to resume a completed run or a folder that is not a run', () => {
    const resume = (dir: string) => spawnSync(process.execPath, [cli, 'exp', '--resume', dir], { cwd: root, env: cliEnv, encoding: 'utf8' });
    const runsDir = join(work, 'runs-done');
    const done = spawnSync(process.execPath, [cli, 'exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1'], { cwd: root, env: cliEnv, encoding: 'utf8' });
    const runDir = done.stdout.trim().split('\n').at(-1)!;
    expect(resume(runDir)).toMatchObject({ status: 2, stderr: `error: --resume ${runDir}: this run already completed; start a new one with exp ${specFile}\n` });
    expect(resume(work)).toMatchObject({ status: 2, stderr: `error: --resume ${work}: not a run folder (it has no summary.json)\n` });
  });

  it('gives runs started at the same moment their own folders, and all complete', async () => {
    const runsDir = join(work, 'runs-concurrent');
    const runs = Array.from({ length: 3 }, () => startRun(runsDir, ['exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1', '--set', 'data.trainLimit=1000']));
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0, 0]);
    const folders = runs.map((run) => run.output().stdout.trim().split('\n').at(-1));
    expect(new Set(folders).size).toBe(3);
    for (const folder of folders) expect(JSON.parse(readFileSync(join(folder!, 'summary.json'), 'utf8')).status).toBe('completed');
    // The shared index is rebuilt from disk and replaced atomically: none of the three runs is lost from it.
    const index = readFileSync(join(runsDir, 'index.html'), 'utf8');
    for (const folder of folders) expect(index).toContain(`>${folder!.split('/').at(-1)}</a>`);
  });
});
