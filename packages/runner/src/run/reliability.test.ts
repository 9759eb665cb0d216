import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, cli, cliEnv, lastLine, specml, startSpecml, temporaryFolder, waitFor, withoutTimings } from '../test-kit/test-cli.js';

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

/** The same for a convolutional net with batch norm and dropout on augmented images, on the native engine. */
const CONV = `name: conv
data: { trainLimit: 1200, testLimit: 500, augment: { flip: horizontal, shift: 0.1, rotate: 10 } }
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

/** And a regression on a table of 40,000 rows (y = sin(x0)·x1 + x2² + noise, from a fixed stream). */
let state = 12345;
const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
const tableRows = Array.from({ length: 40_000 }, () => {
  const x = Array.from({ length: 6 }, next);
  return [...x.map((v) => v.toFixed(4)), (Math.sin(x[0]) * x[1] + x[2] ** 2 + next() * 0.05).toFixed(4)].join(',');
});
writeFileSync(join(work, 'table.csv'), ['a,b,c,d,e,f,y', ...tableRows].join('\n'));
const regressionSpecFile = join(work, 'regression.yaml');
writeFileSync(regressionSpecFile, `name: regression\ntask: regression\nloss: huber\ndata: { dataset: csv, path: table.csv }\nmodel:\n  layers:\n    - { units: 64, activation: relu }\n    - { units: 64, activation: relu }\n    - { units: 1, activation: linear }\noptimizer: { name: adam, learningRate: 0.003 }\nschedule: { type: cosine }\nbatchSize: 32\nepochs: 20\n`);


/** The long spec (or other arguments) in the background, in its own process group. */
const startRun = (runsDir: string, args: string[] = ['exp', specFile, '--runs-dir', runsDir]) => startSpecml(args);

/** Waits until the run has written metrics for `epoch`, and returns its folder. */
async function waitForEpoch(runsDir: string, epoch: number, child: ChildProcess, name = 'long'): Promise<string> {
  // Bounded by the clock: a loaded machine starts a run slowly, and a count of polls would stretch with it.
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
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
  const result = specml(['exp', spec, '--runs-dir', runsDir]);
  expect(result.status).toBe(0);
  return withoutTimings(readFileSync(join(lastLine(result.stdout), 'metrics.csv'), 'utf8'));
}

describe('reliability', () => {
  it.each([
    ['a dense stack', 'long', specFile, 30],
    ['a conv net with batch norm and dropout on augmented images, on the native engine', 'conv', convSpecFile, 20],
    ['a regression (Huber loss, cosine schedule) on a table', 'regression', regressionSpecFile, 20],
  ])('resumes %s after a SIGKILL of the whole process group and ends with the uninterrupted metrics', async (_, name, spec, epochCount) => {
    const runsDir = join(work, `runs-kill-${name}`);
    const run = startRun(runsDir, ['exp', spec, '--runs-dir', runsDir]);
    const runDir = await waitForEpoch(runsDir, 5, run.child, name);
    process.kill(-run.child.pid!, 'SIGKILL');
    expect(await run.exited).toBe(null);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).status).toBe('running');
    expect(existsSync(join(runDir, 'checkpoint.bin'))).toBe(true);

    const resumed = specml(['exp', '--resume', runDir]);
    // The killed process could not release its lock.
    expect(resumed.stderr).toBe(`note: ${runDir} was locked by pid ${run.child.pid}, which is no longer running; taking it over\n`);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^resuming ${name}/\\S+ after epoch \\d+ of ${epochCount}$`, 'm'));
    expect(lastLine(resumed.stdout)).toBe(runDir);

    const metrics = readFileSync(join(runDir, 'metrics.csv'), 'utf8');
    const epochs = metrics.trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
    expect(epochs).toEqual(Array.from({ length: epochCount + 1 }, (_, epoch) => epoch)); // no torn, missing or repeated rows
    expect(withoutTimings(metrics)).toEqual(uninterruptedMetrics(spec));
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', resumes: 1, epochsCompleted: epochCount, backend: 'native' });
    // A kill during a write can leave a temporary file; the resume removes it.
    expect(readdirSync(runDir).filter((file) => file.endsWith('.tmp'))).toEqual([]);
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
    const resume = (dir: string) => specml(['exp', '--resume', dir]);
    const runsDir = join(work, 'runs-done');
    const done = specml(['exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1']);
    const runDir = lastLine(done.stdout);
    expect(resume(runDir)).toMatchObject({ status: 2, stderr: `error: --resume ${runDir}: this run already completed; start a new one with exp ${specFile}\n` });
    expect(resume(work)).toMatchObject({ status: 2, stderr: `error: --resume ${work}: not a run folder (it has no summary.json)\n` });
  });

  it('gives runs started at the same moment their own folders, and all complete', async () => {
    const runsDir = join(work, 'runs-concurrent');
    const runs = Array.from({ length: 3 }, () => startRun(runsDir, ['exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1', '--set', 'data.trainLimit=1000']));
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0, 0]);
    const folders = runs.map((run) => lastLine(run.output().stdout));
    expect(new Set(folders).size).toBe(3);
    for (const folder of folders) expect(JSON.parse(readFileSync(join(folder!, 'summary.json'), 'utf8')).status).toBe('completed');
    // The shared index is rebuilt from disk and replaced atomically: none of the three runs is lost from it.
    const index = readFileSync(join(runsDir, 'index.html'), 'utf8');
    for (const folder of folders) expect(index).toContain(`>${folder!.split('/').at(-1)}</a>`);
  });

  it('completes a run although another run\'s summary.json is torn, and leaves that run out of the index with a warning', () => {
    const runsDir = join(work, 'runs-torn');
    for (const [run, content] of [['a', '{"name": "x", "runId'], ['b', '{}'], ['c', '']] as const) {
      mkdirSync(join(runsDir, 'other', run), { recursive: true });
      writeFileSync(join(runsDir, 'other', run, 'summary.json'), content);
    }
    mkdirSync(join(runsDir, 'other', 'd'), { recursive: true });
    symlinkSync(join(work, 'nowhere.json'), join(runsDir, 'other', 'd', 'summary.json'));
    const done = specml(['exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1', '--set', 'data.trainLimit=600']);
    expect(done.status).toBe(0);
    const runDir = lastLine(done.stdout);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).status).toBe('completed');
    const warnings = done.stderr.trim().split('\n');
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(new RegExp(`^warning: ${join(runsDir, 'other', 'a', 'summary.json')} is unreadable \\(.*JSON.*\\); the run is left out$`));
    expect(warnings[1]).toBe(`warning: ${join(runsDir, 'other', 'b', 'summary.json')} is unreadable (it lacks name, runId or status); the run is left out`);
    expect(readFileSync(join(runsDir, 'index.html'), 'utf8')).toContain(`>${runDir.split('/').at(-1)}</a>`);
    const compared = specml(['compare', '--runs-dir', runsDir]);
    expect(compared.status).toBe(0);
    expect(compared.stderr.trim().split('\n')).toEqual(warnings);
  });

  it('resumes a run folder copied out of its runs dir without touching the folders above it', async () => {
    const runsDir = join(work, 'runs-copied');
    const run = startRun(runsDir);
    const runDir = await waitForEpoch(runsDir, 2, run.child);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
    const elsewhere = join(work, 'elsewhere', 'deeper', 'copy');
    cpSync(runDir, elsewhere, { recursive: true });
    const resumed = specml(['exp', '--resume', elsewhere]);
    // The copy carries the killed process's lock, which is stale.
    expect(resumed.stderr).toBe(`note: ${elsewhere} was locked by pid ${run.child.pid}, which is no longer running; taking it over\n`);
    expect(resumed.status).toBe(0);
    expect(existsSync(join(elsewhere, 'report.html'))).toBe(true);
    expect(readdirSync(join(work, 'elsewhere'))).toEqual(['deeper']);
    expect(readdirSync(join(work, 'elsewhere', 'deeper'))).toEqual(['copy']);
  });

  it('lets one process write a run folder: a second resume of a live run is refused, naming the holder', async () => {
    // Long enough that the first run is still training when the second process starts (the takeover of
    // a dead holder's lock is checked by the SIGKILL tests above).
    const runsDir = join(work, 'runs-lock');
    const run = startRun(runsDir, ['exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1000']);
    const runDir = await waitForEpoch(runsDir, 2, run.child);
    const lock = JSON.parse(readFileSync(join(runDir, 'lock.json'), 'utf8'));
    expect(lock).toMatchObject({ pid: run.child.pid, host: hostname() });
    const second = specml(['exp', '--resume', runDir]);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
    expect(second.status).toBe(2);
    expect(second.stderr).toBe(
      `error: ${runDir} is in use by pid ${run.child.pid} on ${hostname()} since ${lock.startedAt} (wait for that run to end or stop it; if it is gone, delete ${join(runDir, 'lock.json')})\n`,
    );
    const epochs = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
    expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, epoch) => epoch)); // the refused process wrote nothing
  });

  it('lets exactly one of two resumes started together continue a killed run, with no repeated rows', async () => {
    const runsDir = join(work, 'runs-two-resumes');
    const run = startRun(runsDir);
    const runDir = await waitForEpoch(runsDir, 2, run.child);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
    const resumes = [startSpecml(['exp', '--resume', runDir]), startSpecml(['exp', '--resume', runDir])];
    const codes = await Promise.all(resumes.map((resume) => resume.exited));
    expect([...codes].sort()).toEqual([0, 2]);
    const refused = resumes[codes.indexOf(2)].output().stderr;
    // Refused while the other holds the folder, or (if it already finished) because the run is complete.
    expect(refused).toMatch(/is in use by pid \d+|this run already completed/);
    const epochs = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
    expect(epochs).toEqual(Array.from({ length: 31 }, (_, epoch) => epoch));
  });

  it.each([
    ['SIGHUP (a closed terminal)', 'SIGHUP'],
    ['SIGTERM', 'SIGTERM'],
  ])('stops on %s, marks the run interrupted and keeps its checkpoint', async (_, signal) => {
    const runsDir = join(work, `runs-${signal}`);
    const run = startRun(runsDir);
    const runDir = await waitForEpoch(runsDir, 2, run.child);
    run.child.kill(signal as NodeJS.Signals);
    expect(await run.exited).toBe(130);
    expect(run.output().stderr).toContain(`interrupted by ${signal}: the run is marked interrupted; continue it with: npx nx run runner:exp --resume ${runDir}`);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).status).toBe('interrupted');
    expect(existsSync(join(runDir, 'checkpoint.bin'))).toBe(true);
  });

  it('stops when the process that started it dies (npx or nx killed), marks it interrupted and keeps its checkpoint', async () => {
    const runsDir = join(work, 'runs-orphan');
    // A launcher shell that starts training in the background and is then killed outright.
    const launcher = spawn('/bin/sh', ['-c', `"${process.execPath}" "${cli}" exp "${specFile}" --runs-dir "${runsDir}" > /dev/null 2>&1 & wait`], {
      cwd: root,
      env: cliEnv,
      stdio: 'ignore',
    });
    const runDir = await waitForEpoch(runsDir, 2, launcher);
    launcher.kill('SIGKILL');
    const summaryOf = () => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(await waitFor(() => summaryOf().status !== 'running')).toBe(true);
    expect(summaryOf().status).toBe('interrupted');
    expect(summaryOf().epochsCompleted).toBeLessThan(30);
    expect(existsSync(join(runDir, 'checkpoint.bin'))).toBe(true);
  });

  it('stops cleanly when nobody reads its output any more (exp … | head -2): no crash, no stack trace', async () => {
    const runsDir = join(work, 'runs-epipe');
    const run = startRun(runsDir);
    const runDir = await waitForEpoch(runsDir, 1, run.child);
    run.child.stdout!.destroy();
    expect(await run.exited).toBe(130);
    expect(run.output().stderr).not.toMatch(/at .*\.js:\d+/);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).status).toBe('interrupted');
  });

  describe('file-system faults are the user\'s to fix: exit 2, the path and the cause, no temporary files', () => {
    const exp = (runsDir: string, ...extra: string[]) =>
      specml(['exp', specFile, '--runs-dir', runsDir, '--set', 'epochs=1', '--set', 'data.trainLimit=600', ...extra]);

    it('names a --runs-dir that is a file, and a file where the experiment folder should be', () => {
      const file = join(work, 'a-file');
      writeFileSync(file, 'not a folder');
      const intoFile = exp(file);
      expect(intoFile.status).toBe(2);
      expect(intoFile.stderr).toBe(`error: ${join(file, 'long')}: cannot create: a file stands where a folder should be (move it, or choose another --runs-dir)\n`);
      const runsDir = join(work, 'runs-blocked');
      mkdirSync(runsDir, { recursive: true });
      writeFileSync(join(runsDir, 'long'), 'in the way');
      const blocked = exp(runsDir);
      expect(blocked.status).toBe(2);
      expect(blocked.stderr).toMatch(new RegExp(`^error: ${join(runsDir, 'long')}: cannot create: `));
    });

    it('names a run folder removed while the run writes to it', async () => {
      const runsDir = join(work, 'runs-removed');
      const run = startRun(runsDir);
      const runDir = await waitForEpoch(runsDir, 1, run.child);
      // Gone at once, as a person's rm -r would leave it to the run: moved away in one step, then removed (a
      // recursive removal alone races the run, which keeps adding files while it empties the folder).
      renameSync(runDir, `${runDir}.removed`);
      rmSync(`${runDir}.removed`, { recursive: true, force: true, maxRetries: 20, retryDelay: 10 });
      expect(await run.exited).toBe(2);
      expect(run.output().stderr).toMatch(new RegExp(`^error: ${runDir}/\\S+: cannot write: it does not exist \\(was its folder removed while the run wrote to it\\?\\)\\nrun folder: ${runDir}\\n$`));
    });

    it('reports a full disk as the first error and leaves no temporary file (on a tmpfs: needs root; CI runs it)', (context) => {
      const tmpfs = join(work, 'tiny-disk');
      mkdirSync(tmpfs, { recursive: true });
      if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', tmpfs]).status !== 0) {
        if (process.env.CI === 'true') throw new Error('CI runs as root and must be able to mount a tmpfs for this test');
        context.skip('cannot mount a tmpfs here (not root)');
      }
      try {
        const full = exp(tmpfs, '--set', 'model.layers.0.units=16');
        expect(full.status).toBe(2);
        expect(full.stderr).toMatch(/^error: \S+: cannot write: no space left on the device \(free some, then resume the run\)\nrun folder: \S+\n$/);
        const runDir = /run folder: (\S+)/.exec(full.stderr)![1];
        const leftovers = readdirSync(runDir, { recursive: true }).filter((entry) => String(entry).endsWith('.tmp'));
        expect(leftovers).toEqual([]);
      } finally {
        spawnSync('umount', [tmpfs]);
      }
    });
  });
});
