import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { stringify as stringifyYaml } from 'yaml';
import { UserError } from '@specml/data';
import { LocalPoolExecutor } from './executors/local-pool.js';
import type { TrialExecutor, TrialOutcome } from './executors/trial-executor.js';
import { loadSpec } from './load-spec.js';
import { newRunId } from './run-folder.js';
import { prepareExperiment } from './run-experiment.js';
import { expandSweep, parseSweepOption, sweepAxes, type SweepAxis, type Trial } from './sweep.js';
import { SpecError } from './user-errors.js';

export interface SweepOptions {
  readonly specFile: string;
  readonly overrides: readonly string[];
  /** --sweep key=v1,v2 options */
  readonly sweeps: readonly string[];
  readonly runsDir: string;
  readonly workers?: number;
  /** Aborting it stops launching trials and interrupts the running ones. */
  readonly signal?: AbortSignal;
  /** Where trials run; by default a pool of child processes on this machine. */
  readonly executor?: TrialExecutor;
}

export interface TrialResult extends TrialOutcome {
  readonly trial: Trial;
}

export interface SweepOutcome {
  readonly results: TrialResult[];
  readonly csvPath: string;
}

/** Some trials did not complete (diverged, failed, invalid): the sweep still ran the others and wrote its summary. */
export class SweepIncompleteError extends Error {
  override readonly name = 'SweepIncompleteError';
}

/** The sweep was stopped (Ctrl-C, SIGTERM): running trials were interrupted, the rest never started. */
export class SweepInterruptedError extends Error {
  override readonly name = 'SweepInterruptedError';
  constructor(
    message: string,
    /** The interrupted trials' run folders, each resumable with exp --resume. */
    readonly resumable: readonly string[],
  ) {
    super(message);
  }
}

/** The sweep's axes for a spec and its --sweep options; empty when there is nothing to sweep. */
export function plannedAxes(specFile: string, overrides: readonly string[], sweeps: readonly string[]): SweepAxis[] {
  const { spec } = loadSpec(specFile, overrides);
  return sweepAxes(spec.sweep as Record<string, unknown[]> | undefined, sweeps.map(parseSweepOption));
}

/**
 * Runs every trial of a sweep as its own run through a trial executor, as many at a time as it has
 * slots. All trials are validated first, so a bad value stops the sweep before anything is written; a
 * trial that fails or diverges while training does not stop the others. Aborting `signal` starts no more
 * trials, interrupts the running ones, and still writes the sweep's CSV.
 */
export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const axes = plannedAxes(options.specFile, options.overrides, options.sweeps);
  const trials = expandSweep(axes);
  for (const trial of trials) {
    try {
      prepareExperiment(options.specFile, [...options.overrides, ...trial.overrides]);
    } catch (error) {
      if (error instanceof SpecError) {
        throw new UserError(`sweep trial ${trial.index} of ${trials.length} (${trial.overrides.join(', ')}) is invalid:`, [error.message, ...error.details]);
      }
      throw error;
    }
  }
  // Every trial starts from the same resolved base spec, as text: what a trial needs, wherever it runs.
  const base = prepareExperiment(options.specFile, options.overrides).loaded.spec;
  delete base.sweep;
  const name = base.name!;
  const specText = stringifyYaml(base);
  const executor = options.executor ?? new LocalPoolExecutor(Math.max(1, Math.min(options.workers ?? availableParallelism(), trials.length)));
  const slots = Math.min(executor.slots, trials.length);
  const sweepId = newRunId();
  const signal = options.signal ?? new AbortController().signal;
  process.stdout.write(`sweep ${name}: ${trials.length} trials (${axes.map((axis) => `${axis.key} × ${axis.values.length}`).join(', ')}) on ${slots} worker${slots === 1 ? '' : 's'}\n`);

  const results: TrialResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < trials.length && !signal.aborted) {
      const trial = trials[next++];
      const label = `trial ${trial.index}/${trials.length}`;
      const outcome = await executor.run(
        { id: `${sweepId}-${trial.index}`, specText, specFile: options.specFile, overrides: trial.overrides, runsDir: options.runsDir },
        {
          onEpoch: (row) => {
            if (row.epoch > 0) process.stdout.write(`${label} epoch ${row.epoch}: test accuracy ${row.test_accuracy.toFixed(4)}\n`);
          },
        },
        signal,
      );
      results.push({ ...outcome, trial });
      const accuracy = outcome.status === 'completed' && outcome.summary?.final ? `, test accuracy ${outcome.summary.final.test_accuracy.toFixed(4)}` : '';
      process.stdout.write(`${label} ${trial.overrides.join(' ')}: ${outcome.status}${accuracy}${outcome.runDir ? ` → ${outcome.runDir}` : ''}\n`);
    }
  };
  await Promise.all(Array.from({ length: slots }, worker));
  results.sort((a, b) => a.trial.index - b.trial.index);

  const csvPath = join(options.runsDir, name, `sweep-${sweepId}.csv`);
  mkdirSync(join(options.runsDir, name), { recursive: true });
  writeFileSync(csvPath, sweepCsv(axes, trials, results));
  process.stdout.write(`${sweepTable(axes, results)}\nsweep summary: ${csvPath}\n`);
  if (signal.aborted) {
    const interrupted = results.filter((result) => result.status === 'interrupted' && result.runDir);
    throw new SweepInterruptedError(
      `the sweep was stopped: ${interrupted.length} trial${interrupted.length === 1 ? '' : 's'} interrupted, ${trials.length - results.length} not started (summary: ${csvPath})`,
      interrupted.map((result) => result.runDir!),
    );
  }
  const unfinished = results.filter((result) => result.status !== 'completed');
  if (unfinished.length > 0) {
    const reasons = unfinished.map((result) => `trial ${result.trial.index}: ${result.status}${result.message ? `: ${result.message}` : ''}`);
    throw new SweepIncompleteError(`${unfinished.length} of ${results.length} trials did not complete (${reasons.join('; ')})`);
  }
  return { results, csvPath };
}

function sweepRows(axes: readonly SweepAxis[], results: readonly TrialResult[]) {
  return results.map(({ trial, status, summary, runDir }) => ({
    trial: trial.index,
    values: axes.map((axis) => cellOf(trial.values[axis.key])),
    status,
    final: summary?.final?.test_accuracy ?? null,
    best: summary?.best?.test_accuracy ?? null,
    loss: summary?.final?.test_loss ?? null,
    seconds: summary?.durationSeconds ?? null,
    runDir,
  }));
}

/** One row per trial; a trial the sweep never started (it was stopped first) is `not started`. */
function sweepCsv(axes: readonly SweepAxis[], trials: readonly Trial[], results: readonly TrialResult[]): string {
  const header = ['trial', ...axes.map((axis) => axis.key), 'status', 'final_test_accuracy', 'best_test_accuracy', 'final_test_loss', 'duration_seconds', 'run_dir'];
  const rows = sweepRows(axes, results).map((row) => [row.trial, ...row.values, row.status, row.final ?? '', row.best ?? '', row.loss ?? '', row.seconds ?? '', row.runDir ?? '']);
  const started = new Set(results.map((result) => result.trial.index));
  const unstarted = trials.filter((trial) => !started.has(trial.index)).map((trial) => [trial.index, ...axes.map((axis) => cellOf(trial.values[axis.key])), 'not started', '', '', '', '', '']);
  return stringify([header, ...[...rows, ...unstarted].sort((a, b) => Number(a[0]) - Number(b[0]))]);
}

/** A swept value as a table or CSV cell: strings as they are, other values as JSON. */
const cellOf = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function sweepTable(axes: readonly SweepAxis[], results: readonly TrialResult[]): string {
  const rows = sweepRows(axes, results);
  const best = Math.max(...rows.map((row) => row.final ?? -1));
  const table = new Table({ head: ['trial', ...axes.map((axis) => axis.key), 'status', 'test acc', 'best acc', 'seconds'], style: { head: [], border: [] } });
  for (const row of rows) {
    table.push([
      `${row.trial}${row.final === best && best >= 0 ? ' *' : ''}`,
      ...row.values,
      row.status,
      row.final?.toFixed(4) ?? '-',
      row.best?.toFixed(4) ?? '-',
      row.seconds?.toFixed(1) ?? '-',
    ]);
  }
  return table.toString();
}
