import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastLine, specml, startSpecml, temporaryFolder, TINY_SPEC, waitFor } from '../test-kit/test-cli.js';

// Every trial of a sweep runs exactly once, whatever is killed and whoever resumes; a trial is the spec as
// written plus its values, exactly as `exp --set` would run it.

const work = temporaryFolder('sweep-once');
const sweepDirOf = (runsDir: string, name: string) => join(runsDir, name, readdirSync(join(runsDir, name)).find((entry) => entry.startsWith('sweep-'))!);
const runFoldersOf = (runsDir: string, name: string) => readdirSync(join(runsDir, name)).filter((entry) => !entry.startsWith('sweep-') && !entry.endsWith('.html')).sort();
const record = (sweepDir: string) => JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
/** The resolved spec a run ran with, without its first (comment) line, which names where it came from. */
const resolvedSpec = (runDir: string) => readFileSync(join(runDir, 'spec.yaml'), 'utf8').split('\n').slice(1).join('\n');

describe('every trial exactly once', () => {
  it('survives 20 SIGKILLs of the coordinator at random moments: one run folder per trial, every trial completed', { timeout: 240_000 }, async () => {
    const spec = join(work, 'killed.yaml');
    writeFileSync(spec, `${TINY_SPEC('killed').replace('epochs: 2', 'epochs: 8')}sweep:\n  method: bayes\n  trials: 10\n  parameters:\n    optimizer.learningRate: { min: 0.0003, max: 0.03, distribution: logUniform }\n  earlyStop: { type: asha, minEpochs: 1, eta: 2 }\n`);
    const runsDir = join(work, 'runs-killed');
    // The moments come from a seeded sequence (so that a failure can be replayed) and are counted in the
    // sweep's own progress, not in time: a kill lands after 1 to 3 more progress lines (an epoch, or a trial
    // that ended), or during start-up; so the 20 kills spread over the whole sweep on any machine.
    let seed = 12345;
    const next = (range: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % range);
    const progressLines = (stdout: string) => (stdout.match(/^trial \d+\/\d+ /gm) ?? []).length;
    let sweepDir: string | undefined;
    let kills = 0;
    for (let attempt = 0; kills < 20 && attempt < 40; attempt++) {
      const args = sweepDir ? ['exp', '--resume', sweepDir, '--workers', '2'] : ['exp', spec, '--runs-dir', runsDir, '--workers', '2'];
      const run = startSpecml(args);
      const lines = next(4);
      const startUpMs = 100 + next(700);
      const moment = lines === 0 ? new Promise<void>((wake) => setTimeout(wake, startUpMs)) : waitFor(() => progressLines(run.output().stdout) >= lines, 60).then(() => undefined);
      const ended = await Promise.race([run.exited.then(() => true), moment.then(() => run.child.exitCode !== null)]);
      if (!ended) {
        process.kill(-run.child.pid!, 'SIGKILL');
        await run.exited;
        kills++;
      } else {
        // An attempt that ended by itself ended well: the sweep is complete.
        expect([attempt, run.child.exitCode, run.output().stderr]).toEqual([attempt, 0, expect.not.stringMatching(/^error/m)]);
        break;
      }
      if (!sweepDir && existsSync(join(runsDir, 'killed'))) sweepDir = readdirSync(join(runsDir, 'killed')).some((entry) => entry.startsWith('sweep-')) ? sweepDirOf(runsDir, 'killed') : undefined;
      if (sweepDir && !existsSync(join(sweepDir, 'sweep.json'))) {
        // Killed before its first record: nothing ran yet, so it starts over.
        rmSync(join(runsDir, 'killed'), { recursive: true, force: true });
        sweepDir = undefined;
      }
    }
    expect(kills).toBe(20);
    // Then it is let finish.
    const final = sweepDir ? specml(['exp', '--resume', sweepDir]) : specml(['exp', spec, '--runs-dir', runsDir]);
    expect(final.stderr.split('\n').filter((line) => line.startsWith('error'))).toEqual([]);
    expect(final.status).toBe(0);
    const dir = sweepDirOf(runsDir, 'killed');
    const trials = record(dir).trials as Array<{ index: number; state: string; runId: string }>;
    expect(trials.map((trial) => trial.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(trials.every((trial) => trial.state === 'completed' || trial.state === 'stopped')).toBe(true);
    expect(runFoldersOf(runsDir, 'killed')).toEqual(trials.map((trial) => trial.runId).sort());
    for (const trial of trials) expect(JSON.parse(readFileSync(join(runsDir, 'killed', trial.runId, 'summary.json'), 'utf8')).status).toBe(trial.state);
  });

  it('lets one coordinator run a sweep: a second resume is refused naming the first, and a dead one\'s lock is taken over', async () => {
    const spec = join(work, 'locked.yaml');
    writeFileSync(spec, `${TINY_SPEC('locked').replace('epochs: 2', 'epochs: 40')}sweep:\n  seed: [1, 2]\n`);
    const runsDir = join(work, 'runs-locked');
    const first = startSpecml(['exp', spec, '--runs-dir', runsDir, '--workers', '1']);
    expect(await waitFor(() => /^trial 1\/2 epoch 1:/m.test(first.output().stdout))).toBe(true);
    const sweepDir = sweepDirOf(runsDir, 'locked');
    const second = specml(['exp', '--resume', sweepDir]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^error: ${sweepDir} is in use by pid ${first.child.pid} on ${hostname()} since \\S+ \\(wait for that sweep to end or stop it; if it is gone, delete ${sweepDir}/sweep.lock.json\\)\\n$`));
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    const resumed = specml(['exp', '--resume', sweepDir]);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain(`note: ${sweepDir} was locked by pid ${first.child.pid}, which is no longer running; taking it over\n`);
    expect(runFoldersOf(runsDir, 'locked')).toHaveLength(2);
  });

  it('adopts a trial that finished while its coordinator died before recording it, and runs again one whose folder was deleted', async () => {
    const spec = join(work, 'adopt.yaml');
    writeFileSync(spec, `${TINY_SPEC('adopt')}sweep:\n  seed: [1, 2]\n`);
    const runsDir = join(work, 'runs-adopt');
    expect(specml(['exp', spec, '--runs-dir', runsDir]).status).toBe(0);
    const sweepDir = sweepDirOf(runsDir, 'adopt');
    const done = record(sweepDir);
    // As if killed between the trial's end and the record's update: trial 1 recorded as running.
    writeFileSync(join(sweepDir, 'sweep.json'), JSON.stringify({ ...done, state: 'running', trials: [{ ...done.trials[0], state: 'running', metric: null }, done.trials[1]] }));
    // And trial 2's folder deleted by hand.
    rmSync(join(runsDir, 'adopt', done.trials[1].runId), { recursive: true });
    const resumed = specml(['exp', '--resume', sweepDir]);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toBe(`warning: trial 2 was completed, but its run folder ${join(runsDir, 'adopt', done.trials[1].runId)} is gone: it runs again\n`);
    expect(resumed.stdout).toContain(`resuming ${sweepDir}: 1 trial kept, 1 to run\n`);
    const after = record(sweepDir);
    expect(after.trials.map((trial: { state: string }) => trial.state)).toEqual(['completed', 'completed']);
    expect(after.trials[0].metric).toBe(done.trials[0].metric);
    expect(runFoldersOf(runsDir, 'adopt')).toEqual(done.trials.map((trial: { runId: string }) => trial.runId).sort());
  });
});

describe('a trial is the spec as written plus its values', () => {
  it('builds each trial like --set: sweeping optimizer.name from sgd gives adam its own default learning rate', () => {
    const spec = join(work, 'optimizers.yaml');
    writeFileSync(spec, `${TINY_SPEC('optimizers').replace('epochs: 2', 'epochs: 1')}optimizer: { name: sgd }\nsweep:\n  optimizer.name: [sgd, adam]\n`);
    const runsDir = join(work, 'runs-optimizers');
    const sweep = specml(['exp', spec, '--runs-dir', runsDir, '--set', 'batchSize=64']);
    expect(sweep.status).toBe(0);
    const trials = record(sweepDirOf(runsDir, 'optimizers')).trials;
    const alone = specml(['exp', spec, '--runs-dir', join(work, 'runs-alone'), '--no-sweep', '--set', 'batchSize=64', '--set', 'optimizer.name=adam']);
    expect(alone.status).toBe(0);
    const trialSpec = resolvedSpec(join(runsDir, 'optimizers', trials[1].runId));
    expect(trialSpec).toContain('name: adam\n  learningRate: 0.001\n');
    expect(trialSpec).toBe(resolvedSpec(lastLine(alone.stdout)));
  });

  it('points a trial\'s problem at the line of the user\'s file, and refuses name, .nan and .inf as sweep values', () => {
    const spec = join(work, 'beta.yaml');
    writeFileSync(spec, `${TINY_SPEC('beta')}optimizer: { name: adam, beta1: 0.8 }\nsweep:\n  optimizer.name: [adam, sgd]\n`);
    const refused = specml(['exp', spec, '--runs-dir', join(work, 'runs-beta')]);
    expect(refused).toMatchObject({ status: 2, stderr: `error: sweep value "sgd" of optimizer.name (optimizer.name="sgd") is invalid:\nerror: ${spec}:8:26: optimizer.beta1: unknown key "beta1" (allowed keys: name, learningRate)\n` });
    writeFileSync(spec, `${TINY_SPEC('names')}sweep:\n  name: [a, b]\n  optimizer.learningRate: [.nan, 0.001, .inf]\n`);
    const names = specml(['exp', spec, '--runs-dir', join(work, 'runs-beta')]);
    expect(names.status).toBe(2);
    expect(names.stderr).toBe(
      `error: ${spec}:9:3: sweep.name: name cannot be swept: every trial of a sweep runs in the sweep's experiment folder, under the spec's one name (remove it from the sweep (set name: once, or run separate specs))\n` +
        `error: ${spec}:10:27: sweep["optimizer.learningRate"]: holds .nan or .inf, which is no value a trial can run with (list finite numbers)\n`,
    );
    expect(existsSync(join(work, 'runs-beta'))).toBe(false);
  });

  it('takes early stopping\'s rungs from each trial\'s own epochs when epochs is swept', () => {
    const spec = join(work, 'rungs.yaml');
    writeFileSync(spec, `${TINY_SPEC('rungs').replace('epochs: 2', 'epochs: 1')}sweep:\n  method: grid\n  parameters:\n    epochs: [1, 8]\n  earlyStop: { type: hyperband, minEpochs: 1, eta: 2 }\n`);
    const sweep = specml(['exp', spec, '--runs-dir', join(work, 'runs-rungs'), '--workers', '1']);
    expect(sweep.status).toBe(0);
    // The base spec trains 1 epoch (no rung below it); the 8-epoch trial is compared at 1, 2 and 4.
    expect(sweep.stdout).toMatch(/^sweep rungs: 2 trials \(epochs × 2, stopping trials behind at epochs 1, 2, 4\)/m);
    // The former name still works, with a note.
    expect(sweep.stderr).toContain('warning: sweep.earlyStop.type: hyperband is the former name of asha (asynchronous successive halving; specml runs no Hyperband brackets): it works the same, write asha\n');
  });

  it('prints the best trial of a sweep over a layer key as YAML that a spec accepts', () => {
    const spec = join(work, 'layers.yaml');
    writeFileSync(spec, `${TINY_SPEC('layers').replace('epochs: 2', 'epochs: 1')}sweep:\n  model.layers.0.units: [8, 16]\n`);
    const sweep = specml(['exp', spec, '--runs-dir', join(work, 'runs-layers')]);
    expect(sweep.status).toBe(0);
    const yaml = sweep.stdout.split('as YAML for a spec:\n')[1];
    expect(yaml).toMatch(/^ {2}model:\n {4}layers:\n {6}- units: (8|16)\n {8}activation: relu\n {8}type: dense\n {6}- units: 10\n/);
    const pasted = join(work, 'pasted.yaml');
    writeFileSync(pasted, `name: pasted\ndata: { trainLimit: 2000, testLimit: 500 }\n${yaml.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.slice(2)).join('\n')}\nepochs: 1\n`);
    expect(specml(['validate', pasted]).status).toBe(0);
  });
});

describe('what a dead or odd process leaves behind', () => {
  it('takes over a run lock held by a zombie (killed, never reaped): it will never write again', async () => {
    const runsDir = join(work, 'runs-zombie');
    const spec = join(work, 'zombie.yaml');
    writeFileSync(spec, TINY_SPEC('zombie').replace('epochs: 2', 'epochs: 40'));
    const run = startSpecml(['exp', spec, '--runs-dir', runsDir]);
    expect(await waitFor(() => /epoch 1\//.test(run.output().stdout) || existsSync(join(runsDir, 'zombie')))).toBe(true);
    expect(await waitFor(() => readdirSync(join(runsDir, 'zombie')).some((entry) => existsSync(join(runsDir, 'zombie', entry, 'checkpoint.bin'))))).toBe(true);
    const runDir = join(runsDir, 'zombie', readdirSync(join(runsDir, 'zombie')).find((entry) => !entry.endsWith('.html'))!);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
    // A zombie, as under a PID 1 that never reaps: a child whose parent (sleep) never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (chunk) => resolve(Number(String(chunk).trim()))));
    try {
      expect(await waitFor(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1].startsWith('Z'))).toBe(true);
      writeFileSync(join(runDir, 'lock.json'), JSON.stringify({ pid: zombie, host: hostname(), startedAt: new Date().toISOString() }));
      const resumed = specml(['exp', '--resume', runDir]);
      expect(resumed.stderr).toBe(`note: ${runDir} was locked by pid ${zombie}, which is no longer running; taking it over\n`);
      expect(resumed.status).toBe(0);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('reads only regular files: a FIFO named summary.json, metrics.csv or sweep.json hangs neither exp, compare nor the index', () => {
    const runsDir = join(work, 'runs-fifo');
    for (const [folder, file] of [['fifo/run-1', 'summary.json'], ['fifo/run-2', 'metrics.csv'], ['fifo/sweep-1', 'sweep.json']] as const) {
      mkdirSync(join(runsDir, folder), { recursive: true });
      if (file === 'metrics.csv') writeFileSync(join(runsDir, folder, 'summary.json'), JSON.stringify({ name: 'fifo', runId: 'run-2', status: 'completed' }));
      if (file === 'sweep.json') writeFileSync(join(runsDir, folder, 'sweep.yaml'), TINY_SPEC('fifo'));
      execFileSync('mkfifo', [join(runsDir, folder, file)]);
    }
    const spec = join(work, 'fifo.yaml');
    writeFileSync(spec, TINY_SPEC('fifo').replace('epochs: 2', 'epochs: 1'));
    const run = specml(['exp', spec, '--runs-dir', runsDir]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`warning: ${join(runsDir, 'fifo/run-1/summary.json')} is unreadable (is not a regular file (a pipe, device or folder)); the run is left out\n`);
    const compared = specml(['compare', join(runsDir, 'fifo')]);
    expect(compared.stderr).toContain(`${join(runsDir, 'fifo/run-2/metrics.csv')}: is not a regular file (a pipe, device or folder)`);
    expect(specml(['exp', '--resume', join(runsDir, 'fifo/sweep-1')]).stderr).toMatch(/sweep\.json: unreadable \(.*is not a regular file/);
  });
});
