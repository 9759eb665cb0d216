import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSweep, summaryIfReadable, sweepRunFolders, type RunSummary } from '@specml/reporter';
import { anchors, format, median, root, timed } from './bench-kit.js';

/** The stages of a trial's own summary timings, in the order a trial goes through them. */
const TRIAL_STAGES = ['startupSeconds', 'dataSeconds', 'backendSeconds', 'trainingSeconds', 'evaluationSeconds', 'checkpointSeconds', 'outputSeconds'] as const;

interface SweepStages {
  /** Launch → the sweep's folder: the command's start-up, reading the spec, checking every trial. */
  startSeconds: number;
  /** The sweep's folder → the first trial's start: the trial processes' start-up. */
  workersSeconds: number;
  /** The first trial's start → the last trial's end. */
  trialsSeconds: number;
  /** The last trial's end → exit: the sweep's table and record, the runs index. */
  endSeconds: number;
  /** Each stage summed over the trials, with `other` the rest of their durations (spec, folder, model, messages). */
  perTrial: Record<string, number>;
}

/**
 * `bench --small-sweep`: the anchor `run-small-sweep-reference.sh` compares, from here: a 16-trial random
 * sweep on iris (the anchor's small-sweep.yaml) against Optuna's RandomSampler over scikit-learn's
 * MLPClassifier in one Python process (the anchor's small_sweep_sklearn.py), alternating, then where our
 * wall time went, stage by stage (from the sweep's record and its trials' summaries).
 */
export function benchSmallSweep(rounds: number): void {
  const spec = join(anchors, 'small-sweep.yaml');
  const reference = join(anchors, 'small_sweep_sklearn.py');
  if (!existsSync(spec) || !existsSync(reference)) return console.log(`small sweep skipped: the anchors ${spec} and ${reference} are not here`);
  const hasOptuna = spawnSync('/usr/bin/python3', ['-c', 'import optuna, sklearn'], { encoding: 'utf8' }).status === 0;
  if (!hasOptuna) console.log('Optuna + scikit-learn skipped: apt-get install python3-optuna python3-sklearn');
  const work = mkdtempSync(join(tmpdir(), 'specml-bench-small-sweep-'));
  try {
    copyFileSync(join(root, 'experiments/data/iris.csv'), join(work, 'iris.csv'));
    copyFileSync(spec, join(work, 'small-sweep.yaml'));
    console.log(`== small sweep: ${spec} (16 trials on iris) vs Optuna + scikit-learn's MLPClassifier, ${rounds} round(s); ratio of wall time ==`);
    const ratios: number[] = [];
    const stages: SweepStages[] = [];
    for (let round = 1; round <= rounds; round++) {
      const theirs = hasOptuna ? (JSON.parse(timed('/usr/bin/python3', [reference, join(work, 'iris.csv'), 'species', '16']).stdout) as { wall_s: number; best_validation: number }) : undefined;
      const runsDir = join(work, `runs-${round}`);
      const launched = Date.now();
      const ours = timed('node', ['packages/runner/dist/main.js', 'exp', join(work, 'small-sweep.yaml'), '--runs-dir', runsDir]);
      stages.push(sweepStages(runsDir, launched, launched + ours.wallSeconds * 1000));
      if (theirs) ratios.push(ours.wallSeconds / theirs.wall_s);
      const best = /^best: trial \d+, validation_accuracy ([\d.]+)/m.exec(ours.stdout)?.[1];
      console.log(`round ${round}: specml ${format(ours.wallSeconds)} s (best validation accuracy ${best})${theirs ? ` | optuna+sklearn ${format(theirs.wall_s)} s (${format(theirs.best_validation, 4)}) | ratio ${format(ratios.at(-1)!)}` : ''}`);
    }
    if (ratios.length) console.log(`median ratio specml/optuna+sklearn: ${format(median(ratios))}`);
    printStages(stages);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `bench --sweep-scaling`: the anchor's small sweep with 16 trials, then with `trials` (256 by default), one
 * after the other: the wall-time ratio (at most trials / 16 when nothing in planning, folders, records or
 * reports grows with the number of trials) and the coordinating process's own peak memory for each.
 */
export function benchSweepScaling(trials: number): void {
  const spec = join(anchors, 'small-sweep.yaml');
  if (!existsSync(spec)) return console.log(`sweep scaling skipped: the anchor ${spec} is not here`);
  const work = mkdtempSync(join(tmpdir(), 'specml-bench-sweep-scaling-'));
  try {
    copyFileSync(join(root, 'experiments/data/iris.csv'), join(work, 'iris.csv'));
    copyFileSync(spec, join(work, 'small-sweep.yaml'));
    console.log(`== sweep scaling: ${spec} with 16 and ${trials} random trials on iris, one after the other ==`);
    const measured = [16, trials].map((count) => {
      const runsDir = join(work, `runs-${count}`);
      const { wallSeconds } = timed('node', ['packages/runner/dist/main.js', 'exp', join(work, 'small-sweep.yaml'), '--set', `sweep.trials=${count}`, '--runs-dir', runsDir]);
      const record = readSweep(sweepFolderIn(runsDir));
      const ended = record.trials.filter((trial) => trial.state === 'completed').length;
      console.log(`${count} trials: ${format(wallSeconds)} s (${format(wallSeconds / count, 3)} s per trial, ${ended} completed), coordinator peak RSS ${record.peakRssMiB ?? '?'} MiB`);
      return { count, wallSeconds, peakRssMiB: record.peakRssMiB };
    });
    const [small, large] = measured;
    console.log(`wall-time ratio ${large.count}/${small.count} trials: ${format(large.wallSeconds / small.wallSeconds)} (linear: ${format(large.count / small.count)}); coordinator peak RSS ${small.peakRssMiB} → ${large.peakRssMiB} MiB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const sweepFolderIn = (runsDir: string) => join(runsDir, 'small-sweep', readdirSync(join(runsDir, 'small-sweep')).find((name) => name.startsWith('sweep-'))!);

/** Where one sweep's wall time went, read back from its folder. */
function sweepStages(runsDir: string, launched: number, exited: number): SweepStages {
  const sweepDir = sweepFolderIn(runsDir);
  const started = Date.parse(readSweep(sweepDir).startedAt);
  const trials = sweepRunFolders(sweepDir).flatMap((dir) => summaryIfReadable(dir) ?? []);
  const begun = Math.min(...trials.map((trial) => Date.parse(trial.startedAt!)));
  const ended = Math.max(...trials.map(endOf));
  const perTrial: Record<string, number> = { other: 0 };
  for (const trial of trials) {
    const timings = (trial.timings ?? {}) as Record<string, number>;
    for (const stage of TRIAL_STAGES) perTrial[stage] = (perTrial[stage] ?? 0) + (timings[stage] ?? 0);
    // A trial's duration starts after its process's start-up (only a process's first trial has one).
    perTrial.other += (trial.durationSeconds ?? 0) - TRIAL_STAGES.reduce((sum, stage) => sum + (stage === 'startupSeconds' ? 0 : (timings[stage] ?? 0)), 0);
  }
  return { startSeconds: (started - launched) / 1000, workersSeconds: (begun - started) / 1000, trialsSeconds: (ended - begun) / 1000, endSeconds: (exited - ended) / 1000, perTrial };
}

const endOf = (trial: RunSummary) => Date.parse(trial.startedAt!) + (trial.durationSeconds ?? 0) * 1000;

/** The medians over the rounds: the sweep's four stages of wall time, then the trials' stages summed over trials. */
function printStages(stages: SweepStages[]): void {
  const medianOf = (pick: (stage: SweepStages) => number) => format(median(stages.map(pick)));
  console.log('where specml\'s wall time went (median over rounds, seconds):');
  console.log(`  start-up, spec and trial checks ${medianOf((s) => s.startSeconds)} | trial processes' start ${medianOf((s) => s.workersSeconds)} | trials ${medianOf((s) => s.trialsSeconds)} | end (table, record, runs index) ${medianOf((s) => s.endSeconds)}`);
  const perTrial = Object.keys(stages[0].perTrial).map((stage) => `${stage.replace(/Seconds$/, '')} ${medianOf((s) => s.perTrial[stage])}`);
  console.log(`  inside the trials, summed over trials (2 run at a time): ${perTrial.join(' | ')}`);
}
