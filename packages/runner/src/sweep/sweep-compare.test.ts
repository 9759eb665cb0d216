import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastLine, learningOf, specml, startSpecml, temporaryFolder, TINY_SPEC, waitFor, withoutTestSetWarning } from '../test-kit/test-cli.js';



const work = temporaryFolder('sweep');

/** The one sweep folder of an experiment in a runs dir. */
function sweepDirOf(runsDir: string, name = 'grid'): string {
  const folders = readdirSync(join(runsDir, name)).filter((entry) => entry.startsWith('sweep-'));
  expect(folders).toHaveLength(1);
  return join(runsDir, name, folders[0]);
}

/** A sweep's sweep.csv, as rows of cells (header first). */
const csvRows = (sweepDir: string) => readFileSync(join(sweepDir, 'sweep.csv'), 'utf8').trim().split('\n').map((row) => row.split(','));
/** Each trial's first cells: trial, the swept values, status. */
const trialStates = (sweepDir: string, cells = 3) => csvRows(sweepDir).slice(1).map((row) => row.slice(0, cells).join(','));
/** The run folders of an experiment (its sweep folder left out). */
const runIdsOf = (runsDir: string, name = 'grid') => readdirSync(join(runsDir, name)).filter((entry) => !entry.startsWith('sweep-'));

const BASE = TINY_SPEC('grid');

describe('sweep and compare', () => {
  const runsDir = join(work, 'runs');

  it('runs a 2×2 sweep block as four normal runs on two workers, with a table and a summary CSV', () => {
    const spec = join(work, 'grid.yaml');
    writeFileSync(spec, `${BASE}sweep:\n  optimizer.learningRate: [0.01, 0.001]\n  batchSize: [32, 64]\n`);
    const result = specml(['exp', spec, '--runs-dir', runsDir, '--workers', '2']);
    expect(result.stderr).toMatch(/^warning: sweep\.metric: choosing on test_accuracy tunes to the test set: the chosen trial's test score is optimistic \(it was picked for being high\) and no longer measures how the model generalises; set data\.validationSplit \(e\.g\. 0\.2\) to choose on validation_accuracy\n$/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('sweep grid: 4 trials (optimizer.learningRate × 2, batchSize × 2) on 2 workers, choosing on test_accuracy (maximize)\n');
    const runIds = runIdsOf(runsDir);
    expect(runIds).toHaveLength(4);
    const settings = runIds
      .map((runId) => readFileSync(join(runsDir, 'grid', runId, 'spec.yaml'), 'utf8'))
      .map((yaml) => [/learningRate: ([\d.]+)/.exec(yaml)![1], /^batchSize: (\d+)$/m.exec(yaml)![1]].join(' '))
      .sort();
    expect(settings).toEqual(['0.001 32', '0.001 64', '0.01 32', '0.01 64']);
    for (const runId of runIds) expect(readFileSync(join(runsDir, 'grid', runId, 'spec.yaml'), 'utf8')).not.toMatch(/^sweep:/m);

    const sweepDir = sweepDirOf(runsDir);
    expect(csvRows(sweepDir)[0].join(',')).toBe('trial,optimizer.learningRate,batchSize,status,epochs,metric_test_accuracy,final_test_accuracy,best_epoch_test_accuracy,final_test_loss,duration_seconds,run_dir');
    expect(trialStates(sweepDir, 4)).toEqual([
      '1,0.01,32,completed',
      '2,0.01,64,completed',
      '3,0.001,32,completed',
      '4,0.001,64,completed',
    ]);
  });

  it('ranks the runs in comparison.csv, showing only the keys that differ, and draws comparison.png', () => {
    const result = specml(['compare', join(runsDir, 'grid'), '--runs-dir', runsDir]);
    expect(result.status).toBe(0);
    // Each comparison in a folder of its own, named in the last two lines.
    const [csvPath, pngPath] = result.stdout.trim().split('\n').slice(-2);
    expect(csvPath).toMatch(new RegExp(`^${runsDir}/comparisons/\\d{8}-[\\d.]+-[0-9a-f]{6}/comparison\\.csv$`));
    const again = specml(['compare', join(runsDir, 'grid'), '--runs-dir', runsDir]);
    expect(again.stdout.trim().split('\n').at(-2)).not.toBe(csvPath);
    const rows = readFileSync(csvPath, 'utf8').trim().split('\n').map((row) => row.split(','));
    expect(rows[0]).toEqual(['rank', 'run', 'optimizer.learningRate', 'batchSize', 'status', 'final_validation_accuracy', 'final_test_accuracy', 'best_epoch_test_accuracy', 'final_test_loss', 'duration_seconds', 'run_dir']);
    expect(rows.slice(1).every((row) => row[5] === '')).toBe(true); // no validation data: ranked on the test set, which it says
    expect(result.stdout).toContain('ranked by final test accuracy: not every run has validation data, so the ranking looks at the test set and flatters the first (set data.validationSplit)');
    const accuracies = rows.slice(1).map((row) => Number(row[6]));
    expect(accuracies).toHaveLength(4);
    expect([...accuracies].sort((a, b) => b - a)).toEqual(accuracies);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['1', '2', '3', '4']);
    expect(readFileSync(pngPath).subarray(1, 4).toString()).toBe('PNG');
    expect(result.stdout).toContain('│ optimizer.learningRate │ batchSize │');
  });

  it('lets a diverging trial fail without stopping the others, and exits 4 (some trials did not complete)', () => {
    const spec = join(work, 'diverge.yaml');
    writeFileSync(spec, BASE.replace('activation: relu', 'activation: linear'));
    const result = specml(['exp', spec, '--runs-dir', join(work, 'runs-diverge'), '--set', 'optimizer.name=sgd', '--sweep', 'optimizer.learningRate=10,0.01', '--workers', '1']);
    expect(result.status).toBe(4);
    expect(result.stdout).toMatch(/^trial 1\/2 optimizer.learningRate=10: diverged → /m);
    expect(result.stdout).toMatch(/^trial 2\/2 optimizer.learningRate=0.01: completed, test_accuracy 0\.\d{4} → /m);
    expect(withoutTestSetWarning(result.stderr)).toMatch(/^error: 1 of 2 trials did not complete \(trial 1: diverged: the training loss became NaN or infinite in epoch 1/);
  });

  it('keeps the sweep\'s record up to date as trials start and end, so a sweep killed outright can be resumed', async () => {
    const spec = join(work, 'killed.yaml');
    // Trial 1 trains one epoch, trial 2 thirty: the sweep is killed while trial 2 runs.
    writeFileSync(spec, `${BASE}sweep:\n  epochs: [1, 30]\n`);
    const runsDir = join(work, 'runs-killed');
    const sweep = startSpecml(['exp', spec, '--runs-dir', runsDir, '--workers', '1']);
    expect(await waitFor(() => /^trial 2\/2 epoch 1:/m.test(sweep.output().stdout))).toBe(true);
    process.kill(-sweep.child.pid!, 'SIGKILL');
    await sweep.exited;
    const sweepDir = sweepDirOf(runsDir);
    expect(trialStates(sweepDir)).toEqual(['1,1,completed', '2,30,running']);
    const { trials, peakRssMiB } = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
    // The coordinator's own peak memory so far (a Node process holds more than 20 MiB; a trial's is in its summary).
    expect(peakRssMiB).toBeGreaterThan(20);
    expect(peakRssMiB).toBeLessThan(2048);

    const resumed = specml(['exp', '--resume', sweepDir]);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain(`resuming ${sweepDir}: 1 trial kept, 1 to run\n`);
    expect(trialStates(sweepDir)).toEqual(['1,1,completed', '2,30,completed']);
    // Trial 2 went on in its own folder from its checkpoint; trial 1 was not run again.
    expect(runIdsOf(runsDir).sort()).toEqual([trials[0].runId, trials[1].runId].sort());
    expect(JSON.parse(readFileSync(join(runsDir, 'grid', trials[1].runId, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', resumes: 1, epochsCompleted: 30 });
    expect(JSON.parse(readFileSync(join(runsDir, 'grid', trials[0].runId, 'summary.json'), 'utf8')).resumes).toBe(0);
  });

  it('says so when there is nothing to compare', () => {
    const nowhere = join(work, 'no-runs-here');
    expect(specml(['compare', '--runs-dir', nowhere])).toMatchObject({ status: 2, stderr: `error: ${nowhere}: no such folder (give run folders, experiment folders or a runs dir)\n` });
  });

  it('writes swept strings as plain CSV cells, not JSON', () => {
    const spec = join(work, 'strings.yaml');
    writeFileSync(spec, `${BASE.replace('epochs: 2', 'epochs: 1')}sweep:\n  model.initializer: [heNormal, glorotUniform]\n`);
    const sweepsDir = join(work, 'runs-strings');
    expect(specml(['exp', spec, '--runs-dir', sweepsDir]).status).toBe(0);
    expect(trialStates(sweepDirOf(sweepsDir))).toEqual(['1,heNormal,completed', '2,glorotUniform,completed']);
    const comparedRun = specml(['compare', join(sweepsDir, 'grid'), '--runs-dir', sweepsDir, '--out', join(sweepsDir, 'my-comparison')]);
    expect(comparedRun.status).toBe(0);
    const compared = readFileSync(join(sweepsDir, 'my-comparison', 'comparison.csv'), 'utf8');
    expect(compared).toMatch(/^rank,run,model\.initializer,/);
    expect(compared).toContain(',heNormal,');
    expect(compared).not.toContain('"');
  });

  it('validates every trial before running any', () => {
    const spec = join(work, 'bad.yaml');
    writeFileSync(spec, `${BASE}sweep:\n  batchSize: [32, -1]\n`);
    const result = specml(['exp', spec, '--runs-dir', join(work, 'runs-bad')]);
    expect(result.status).toBe(2);
    // Located where the value is written in the sweep block, as every other spec problem.
    expect(result.stderr).toBe(`error: ${spec}:9:19: sweep.batchSize: must be >= 1, got -1 (try 32)\n`);
    expect(() => readdirSync(join(work, 'runs-bad'))).toThrow();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops on the first %s: no new trial, the running one interrupted, the CSV written, exit 130', async (signal) => {
    const spec = join(work, `stop-${signal}.yaml`);
    writeFileSync(spec, `${BASE.replace('epochs: 2', 'epochs: 1000')}sweep:\n  batchSize: [16, 32, 64]\n`);
    const runsDir = join(work, `runs-${signal}`);
    const sweep = startSpecml(['exp', spec, '--runs-dir', runsDir, '--workers', '1']);
    expect(await waitFor(() => /^trial 1\/3 epoch 2:/m.test(sweep.output().stdout))).toBe(true);
    sweep.child.kill(signal);
    expect(await sweep.exited).toBe(130);
    const stderr = withoutTestSetWarning(sweep.output().stderr);
    const [trialDir] = runIdsOf(runsDir);
    expect(runIdsOf(runsDir)).toEqual([trialDir]);
    expect(JSON.parse(readFileSync(join(runsDir, 'grid', trialDir, 'summary.json'), 'utf8')).status).toBe('interrupted');
    expect(existsSync(join(runsDir, 'grid', trialDir, 'checkpoint.bin'))).toBe(true);
    const sweepDir = sweepDirOf(runsDir);
    expect(trialStates(sweepDir)).toEqual(['1,16,interrupted', '2,32,not started', '3,64,not started']);
    expect(JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'))).toMatchObject({ state: 'interrupted', trials: [{ index: 1, state: 'interrupted', runId: trialDir }, { state: 'not started' }, { state: 'not started' }] });
    expect(stderr).toBe(`the sweep was stopped: 1 trial interrupted, 2 not started (summary: ${join(sweepDir, 'sweep.csv')}); continue the sweep with:\n  npx nx run runner:exp --resume ${sweepDir}\n`);
  });

  describe('resuming a sweep', () => {
    const RESUMABLE = `${BASE.replace('epochs: 2', 'epochs: 30')}sweep:\n  batchSize: [16, 32, 64]\n`;

    it('continues an interrupted sweep: the interrupted trial from its checkpoint, the others fresh, metrics as if never interrupted', async () => {
      const spec = join(work, 'resumable.yaml');
      writeFileSync(spec, RESUMABLE);
      const runsDir = join(work, 'runs-resumable');
      const sweep = startSpecml(['exp', spec, '--runs-dir', runsDir, '--workers', '1']);
      expect(await waitFor(() => /^trial 1\/3 epoch 2:/m.test(sweep.output().stdout))).toBe(true);
      sweep.child.kill('SIGINT');
      expect(await sweep.exited).toBe(130);
      const sweepDir = sweepDirOf(runsDir);
      expect(trialStates(sweepDir)).toEqual(['1,16,interrupted', '2,32,not started', '3,64,not started']);

      const changed = specml(['exp', spec, '--set', 'epochs=31', '--resume', sweepDir]);
      expect(changed.status).toBe(2);
      expect(changed.stderr).toBe(`error: --resume ${sweepDir}: ${spec} no longer describes this sweep: epochs (30 in the sweep, 31 now); start a new sweep with exp ${spec}, or resume without the spec\n`);
      const notASweep = specml(['exp', '--resume', join(work, 'nowhere'), '--retry-failed']);
      expect(notASweep).toMatchObject({ status: 2, stderr: 'error: exp: --retry-failed goes with --resume <sweep folder> (runs/<name>/sweep-<id>)\n' });

      const resumed = specml(['exp', spec, '--resume', sweepDir, '--workers', '1']);
      expect(withoutTestSetWarning(resumed.stderr)).toBe('');
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toContain(`resuming ${sweepDir}: 0 trials kept, 3 to run\n`);
      expect(trialStates(sweepDir)).toEqual(['1,16,completed', '2,32,completed', '3,64,completed']);
      const [first] = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')).trials;
      const firstDir = join(runsDir, 'grid', first.runId);
      expect(JSON.parse(readFileSync(join(firstDir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', resumes: 1 });

      // The same trial run alone, never interrupted: the same numbers, epoch by epoch.
      const alone = specml(['exp', spec, '--no-sweep', '--set', 'batchSize=16', '--runs-dir', join(work, 'runs-alone')]);
      expect(alone.status).toBe(0);
      expect(learningOf(firstDir)).toEqual(learningOf(lastLine(alone.stdout)));
      expect(learningOf(firstDir)).toHaveLength(32);
    });

    it('records a trial whose process died as failed, goes on, and runs it again with --retry-failed', async () => {
      const spec = join(work, 'crash.yaml');
      writeFileSync(spec, RESUMABLE.replace('[16, 32, 64]', '[16, 32]'));
      const runsDir = join(work, 'runs-crash');
      const sweep = startSpecml(['exp', spec, '--runs-dir', runsDir, '--workers', '1']);
      expect(await waitFor(() => /^trial 1\/2 epoch 2:/m.test(sweep.output().stdout))).toBe(true);
      const [trialDir] = runIdsOf(runsDir);
      process.kill(JSON.parse(readFileSync(join(runsDir, 'grid', trialDir, 'lock.json'), 'utf8')).pid, 'SIGKILL');
      expect(await sweep.exited).toBe(4);
      const sweepDir = sweepDirOf(runsDir);
      expect(trialStates(sweepDir)).toEqual(['1,16,failed', '2,32,completed']);
      expect(withoutTestSetWarning(sweep.output().stderr)).toMatch(
        new RegExp(`^error: 1 of 2 trials did not complete \\(trial 1: failed: the trial process was killed \\(SIGKILL\\)\\); run the failed trials again with: npx nx run runner:exp --resume ${sweepDir} --retry-failed\n$`),
      );
      // A plain resume keeps what ended, failures included; --retry-failed continues the failed trial.
      const plain = specml(['exp', '--resume', sweepDir]);
      expect(plain.status).toBe(4);
      expect(plain.stdout).toContain(`resuming ${sweepDir}: 2 trials kept, 0 to run (every trial has ended)\n`);
      const retried = specml(['exp', '--resume', sweepDir, '--retry-failed']);
      expect(withoutTestSetWarning(retried.stderr)).toBe('');
      expect(retried.status).toBe(0);
      expect(trialStates(sweepDir)).toEqual(['1,16,completed', '2,32,completed']);
      expect(JSON.parse(readFileSync(join(runsDir, 'grid', trialDir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', resumes: 1, epochsCompleted: 30 });
    });
  });

  describe('search (the full form)', () => {
    const SEARCH = `${BASE.replace('data: { trainLimit: 2000, testLimit: 500 }', 'data: { trainLimit: 1000, testLimit: 300 }').replace('epochs: 2', 'epochs: 3')}sweep:
  method: random
  trials: 4
  parameters:
    optimizer.learningRate: { min: 0.0001, max: 0.3, distribution: logUniform }
    batchSize: [16, 64]
  earlyStop: { type: asha, minEpochs: 1, eta: 2 }
`;

    it('draws random trials from the seed, stops those behind at a rung with complete run folders, and names the best', () => {
      const spec = join(work, 'search.yaml');
      writeFileSync(spec, SEARCH);
      const first = specml(['exp', spec, '--runs-dir', join(work, 'runs-search-1'), '--workers', '1']);
      expect(withoutTestSetWarning(first.stderr)).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout).toContain('sweep grid: 4 trials (random search over optimizer.learningRate, batchSize, stopping trials behind at epochs 1, 2) on 1 worker, choosing on test_accuracy (maximize)\n');
      const [header, ...rows] = csvRows(sweepDirOf(join(work, 'runs-search-1')));
      expect(header).toEqual(['trial', 'optimizer.learningRate', 'batchSize', 'status', 'epochs', 'metric_test_accuracy', 'final_test_accuracy', 'best_epoch_test_accuracy', 'final_test_loss', 'duration_seconds', 'run_dir']);
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(Number(row[1])).toBeGreaterThanOrEqual(0.0001);
        expect(Number(row[1])).toBeLessThanOrEqual(0.3);
        expect(['16', '64']).toContain(row[2]);
      }
      const stopped = rows.filter((row) => row[3] === 'stopped');
      expect(stopped.length).toBeGreaterThan(0);
      for (const row of stopped) {
        expect(Number(row[4])).toBeLessThan(3);
        const summary = JSON.parse(readFileSync(join(row[10], 'summary.json'), 'utf8'));
        expect(summary).toMatchObject({ status: 'stopped', epochsCompleted: Number(row[4]), epochs: 3 });
        expect(existsSync(join(row[10], 'model', 'model.json'))).toBe(true);
        expect(readFileSync(join(row[10], 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(Number(row[4]) + 2);
      }
      const best = rows.reduce((top, row) => (Number(row[5]) > Number(top[5]) ? row : top));
      expect(first.stdout).toContain(`best: trial ${best[0]}, test_accuracy ${Number(best[5]).toFixed(4)}; as options: --set optimizer.learningRate=${best[1]} --set batchSize=${best[2]}\n`);
      // The same seed draws the same trials, and (one worker) stops the same ones.
      const again = specml(['exp', spec, '--runs-dir', join(work, 'runs-search-2'), '--workers', '1']);
      expect(again.status).toBe(0);
      expect(csvRows(sweepDirOf(join(work, 'runs-search-2'))).map((row) => row.slice(0, 6))).toEqual([header, ...rows].map((row) => row.slice(0, 6)));
    });

    it('runs a Bayesian search (TPE) for the number of trials asked, and proposes the same trials when interrupted and resumed', async () => {
      const spec = join(work, 'bayes.yaml');
      // 5 random start-up trials, then 2 proposals of the TPE fitted to the trials before them.
      writeFileSync(spec, SEARCH.replace('method: random', 'method: bayes').replace('trials: 4', 'trials: 7').replace(/  earlyStop: .*\n/, '').replace('epochs: 3', 'epochs: 1'));
      const result = specml(['exp', spec, '--runs-dir', join(work, 'runs-bayes'), '--workers', '1']);
      expect(withoutTestSetWarning(result.stderr)).toBe('');
      expect(result.status).toBe(0);
      const [, ...rows] = csvRows(sweepDirOf(join(work, 'runs-bayes')));
      expect(rows.map((row) => row[3])).toEqual(Array(7).fill('completed'));

      const interrupted = startSpecml(['exp', spec, '--runs-dir', join(work, 'runs-bayes-resumed'), '--workers', '1']);
      expect(await waitFor(() => /^trial 6\/7 epoch 1:/m.test(interrupted.output().stdout))).toBe(true);
      interrupted.child.kill('SIGINT');
      expect(await interrupted.exited).toBe(130);
      const sweepDir = sweepDirOf(join(work, 'runs-bayes-resumed'));
      expect(csvRows(sweepDir).slice(1).filter((row) => row[3] === 'completed').length).toBeLessThan(7);
      expect(specml(['exp', '--resume', sweepDir]).status).toBe(0);
      // The same values, trial by trial, as the sweep that was never interrupted.
      expect(csvRows(sweepDir).slice(1).map((row) => row.slice(0, 4))).toEqual(rows.map((row) => row.slice(0, 4)));
    });

    it('locates every problem of the sweep block before running anything', () => {
      const spec = join(work, 'bad-search.yaml');
      writeFileSync(
        spec,
        `${BASE}sweep:\n  method: random\n  parameters:\n    optimizer.learningRate: { min: 0.1, max: 0.01 }\n    epochs: { min: 0, max: 5, distribution: logUniform }\n  metric: { name: validation_accuracy }\n  earlyStop: { type: asha, minEpochs: 2 }\n`,
      );
      const result = specml(['exp', spec, '--runs-dir', join(work, 'runs-bad-search')]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        [
          `error: ${spec}:9:11: sweep.method: random needs trials: how many trials to run in all (add trials: 16)`,
          `error: ${spec}:11:29: sweep.parameters["optimizer.learningRate"]: min 0.1 must be below max 0.01`,
          `error: ${spec}:12:13: sweep.parameters.epochs: a logUniform range must be above 0, got min 0 (e.g. min: 0.0001)`,
          `error: ${spec}:13:19: sweep.metric.name: validation_accuracy needs a validation set (set data.validationSplit (e.g. 0.1), or use test_accuracy)`,
          `error: ${spec}:14:39: sweep.earlyStop.minEpochs: is 2, but trials train only 2 epochs: nothing would ever be stopped (use a minEpochs below 2)`,
          '',
        ].join('\n'),
      );
      expect(existsSync(join(work, 'runs-bad-search'))).toBe(false);
      const grid = join(work, 'bad-grid.yaml');
      writeFileSync(grid, `${BASE}sweep:\n  method: grid\n  parameters:\n    optimizer.learningRate: { min: 0.01, max: 0.1 }\n`);
      expect(specml(['exp', grid, '--runs-dir', join(work, 'runs-bad-search')]).stderr).toBe(
        `error: ${grid}:11:29: sweep.parameters["optimizer.learningRate"]: is a range, which grid cannot enumerate (list values, or use method: random or bayes)\n`,
      );
      // A method's own key (from the registry) under another method.
      const option = join(work, 'bad-option.yaml');
      writeFileSync(option, `${BASE}sweep:\n  method: random\n  trials: 2\n  multivariate: false\n  parameters:\n    optimizer.learningRate: { min: 0.01, max: 0.1 }\n`);
      expect(specml(['exp', option, '--runs-dir', join(work, 'runs-bad-search')])).toMatchObject({ status: 2, stderr: `error: ${option}:11:3: sweep.multivariate: applies to method bayes, not random (remove it, or use method: bayes)\n` });
      const unknownKey = join(work, 'bad-key.yaml');
      writeFileSync(unknownKey, `${BASE}sweep:\n  method: random\n  trials: 2\n  parameters:\n    optimizer.learningrate: { min: 0.01, max: 0.1 }\n`);
      const unknown = specml(['exp', unknownKey, '--runs-dir', join(work, 'runs-bad-search')]);
      expect(unknown.status).toBe(2);
      // At the key in the sweep block, not at a --set option the person never typed.
      expect(unknown.stderr).toBe(`error: ${unknownKey}:12:5: sweep.parameters.optimizer.learningrate: unknown key "learningrate" (did you mean "learningRate"?)\n`);
      // A range end out of bounds, at that end.
      const outOfBounds = join(work, 'bad-range.yaml');
      writeFileSync(outOfBounds, `${BASE}sweep:\n  method: random\n  trials: 2\n  parameters:\n    batchSize: { min: 0, max: 64, distribution: intUniform }\n`);
      expect(specml(['exp', outOfBounds, '--runs-dir', join(work, 'runs-bad-search')])).toMatchObject({ status: 2, stderr: `error: ${outOfBounds}:12:23: sweep.parameters.batchSize: must be >= 1, got 0 (try 32)\n` });
    });

    it('warns that choosing on a test column tunes to the test set when a validation split exists', () => {
      const spec = join(work, 'test-metric.yaml');
      writeFileSync(spec, SEARCH.replace('data: { trainLimit: 1000, testLimit: 300 }', 'data: { trainLimit: 1000, testLimit: 300, validationSplit: 0.2 }').replace('trials: 4', 'trials: 1').replace('  earlyStop:', '  metric: { name: test_accuracy }\n  earlyStop:'));
      const result = specml(['exp', spec, '--runs-dir', join(work, 'runs-test-metric')]);
      expect(result.status).toBe(0);
      expect(result.stderr).toBe(
        "warning: sweep.metric: choosing on test_accuracy tunes to the test set: the chosen trial's test score is optimistic (it was picked for being high) and no longer measures how the model generalises; choose on validation_accuracy\n",
      );
    });
  });
});
