import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { stringify as stringifyYaml } from 'yaml';
import { UserError } from '@specml/data';
import { writeFileAtomic } from '@specml/reporter';
import { randomProposal, seededUniform, SuccessiveHalving, tpeProposal, type Observation, type Proposal } from '@specml/search';
import type { EpochMetrics } from '@specml/trainer';
import { LocalPoolExecutor } from './executors/local-pool.js';
import type { TrialExecutor, TrialOutcome } from './executors/trial-executor.js';
import { loadSpec } from './load-spec.js';
import { newRunId } from './run-folder.js';
import { prepareExperiment, refreshRunsIndex } from './run-experiment.js';
import { expandSweep, parseSweepOption, trialOf, type Trial } from './sweep.js';
import { planSweep, type SweepPlan } from './sweep-plan.js';
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
  /** The sweep's metric at the trial's last epoch (NaN when it has none). */
  readonly metric: number;
  /** Epochs it trained (fewer than the spec's when stopped early). */
  readonly epochs: number;
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

/** Whether a spec (with its --sweep options) asks for a sweep. */
export function isSweep(specFile: string, overrides: readonly string[], sweeps: readonly string[]): boolean {
  return planSweep(loadSpec(specFile, overrides), sweeps.map(parseSweepOption)) !== undefined;
}

/**
 * Runs the trials of a sweep through a trial executor, as many at a time as it has slots: every
 * combination of a grid, or `trials` draws of a random or Bayesian (TPE) search from the spec's seed; with
 * earlyStop, trials that fall behind at a rung are stopped there. Listed values and range ends are
 * validated before anything runs, and every trial like --set; a trial that fails or diverges does not
 * stop the others. Aborting `signal` starts no more trials, interrupts the running ones, and still writes
 * the sweep's CSV.
 */
export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const loaded = loadSpec(options.specFile, options.overrides);
  const plan = planSweep(loaded, options.sweeps.map(parseSweepOption));
  if (!plan) throw new UserError(`${options.specFile}: has no sweep: block and no --sweep option`);
  for (const warning of plan.warnings) process.stderr.write(`warning: ${warning}\n`);
  const base = prepareExperiment(options.specFile, options.overrides).loaded.spec;
  // Each check is a whole --set validation against the data, which is loaded once and then reused.
  const check = (overrides: readonly string[], what: string) => {
    try {
      prepareExperiment(options.specFile, [...options.overrides, ...overrides]);
    } catch (error) {
      if (error instanceof SpecError) throw new UserError(`sweep ${what} (${overrides.join(', ')}) is invalid:`, [error.message, ...error.details]);
      throw error;
    }
  };
  for (const probe of plan.probes) check([`${probe.key}=${JSON.stringify(probe.value)}`], `value ${JSON.stringify(probe.value)} of ${probe.key}`);
  const uniform = seededUniform(`sweep:${base.seed}`);
  // Grid and random trials are known up front, so each is validated before any runs; bayes proposals stay
  // inside the ranges just validated.
  const planned =
    plan.method === 'grid'
      ? expandSweep(plan.axes)
      : plan.method === 'random'
        ? Array.from({ length: plan.trialCount }, (_, index) => trialOf(index + 1, randomProposal(plan.space, uniform)))
        : [];
  planned.forEach((trial) => check(trial.overrides, `trial ${trial.index} of ${planned.length}`));

  delete base.sweep;
  const name = base.name!;
  const specText = stringifyYaml(base);
  const executor = options.executor ?? new LocalPoolExecutor(Math.max(1, Math.min(options.workers ?? availableParallelism(), plan.trialCount)));
  const slots = Math.min(executor.slots, plan.trialCount);
  const sweepId = newRunId();
  const signal = options.signal ?? new AbortController().signal;
  const asha = plan.earlyStop ? new SuccessiveHalving({ ...plan.earlyStop, goal: plan.metric.goal }) : undefined;
  const described = plan.method === 'grid' ? plan.axes.map((axis) => `${axis.key} × ${axis.values.length}`).join(', ') : `${plan.method} search over ${plan.keys.join(', ')}`;
  const stopping = asha ? `, stopping trials behind at epochs ${asha.rungs(base.epochs).join(', ')}` : '';
  process.stdout.write(`sweep ${name}: ${plan.trialCount} trials (${described}${stopping}) on ${slots} worker${slots === 1 ? '' : 's'}, choosing on ${plan.metric.name} (${plan.metric.goal})\n`);

  // The CSV is rewritten as each trial ends, so that a sweep killed outright still leaves its record.
  const csvPath = join(options.runsDir, name, `sweep-${sweepId}.csv`);
  mkdirSync(join(options.runsDir, name), { recursive: true });
  const results: TrialResult[] = [];
  let started = 0;
  const writeCsv = () => writeFileAtomic(csvPath, sweepCsv(plan, planned, [...results].sort((a, b) => a.trial.index - b.trial.index), started));
  const history: Observation[] = [];
  const nextTrial = (): Trial | undefined => {
    if (started >= plan.trialCount || signal.aborted) return undefined;
    started += 1;
    return plan.method === 'bayes' ? trialOf(started, tpeProposal(plan.space, history, plan.metric.goal, uniform)) : planned[started - 1];
  };
  const worker = async () => {
    for (let trial = nextTrial(); trial; trial = nextTrial()) {
      writeCsv(); // this trial is now running
      const label = `trial ${trial.index}/${plan.trialCount}`;
      let last: EpochMetrics | undefined;
      const outcome = await executor.run(
        { id: `${sweepId}-${trial.index}`, specText, specFile: options.specFile, overrides: trial.overrides, runsDir: options.runsDir, awaitVerdicts: asha !== undefined },
        {
          onEpoch: (row) => {
            last = row;
            if (row.epoch > 0) process.stdout.write(`${label} epoch ${row.epoch}: test accuracy ${row.test_accuracy.toFixed(4)}\n`);
            return asha?.report(row.epoch, metricOf(row, plan.metric.name), base.epochs);
          },
        },
        signal,
      );
      const finished = outcome.status === 'completed' || outcome.status === 'stopped';
      const value = last && finished ? metricOf(last, plan.metric.name) : Number.NaN;
      results.push({ ...outcome, trial, metric: value, epochs: Math.max(0, last?.epoch ?? 0) });
      writeCsv();
      if (Number.isFinite(value)) history.push({ proposal: trial.values as Proposal, value });
      const shown = Number.isFinite(value) ? `, ${plan.metric.name} ${value.toFixed(4)}` : '';
      process.stdout.write(`${label} ${trial.overrides.join(' ')}: ${outcome.status}${shown}${outcome.runDir ? ` → ${outcome.runDir}` : ''}\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: slots }, worker));
  } finally {
    executor.close();
  }
  results.sort((a, b) => a.trial.index - b.trial.index);

  const best = bestResult(results, plan.metric.goal);
  writeCsv();
  await refreshRunsIndex(options.runsDir);
  process.stdout.write(`${sweepTable(plan, results, best)}\nsweep summary: ${csvPath}\n`);
  if (best) {
    const yaml = stringifyYaml(nest(best.trial.values)).replace(/^/gm, '  ').trimEnd();
    process.stdout.write(`best: trial ${best.trial.index}, ${plan.metric.name} ${best.metric.toFixed(4)}; as options: --set ${best.trial.overrides.join(' --set ')}\n  as YAML for a spec:\n${yaml}\n`);
  }
  if (signal.aborted) {
    const interrupted = results.filter((result) => result.status === 'interrupted' && result.runDir);
    throw new SweepInterruptedError(
      `the sweep was stopped: ${interrupted.length} trial${interrupted.length === 1 ? '' : 's'} interrupted, ${plan.trialCount - results.length} not started (summary: ${csvPath})`,
      interrupted.map((result) => result.runDir!),
    );
  }
  const unfinished = results.filter((result) => result.status !== 'completed' && result.status !== 'stopped');
  if (unfinished.length > 0) {
    const reasons = unfinished.map((result) => `trial ${result.trial.index}: ${result.status}${result.message ? `: ${result.message}` : ''}`);
    throw new SweepIncompleteError(`${unfinished.length} of ${results.length} trials did not complete (${reasons.join('; ')})`);
  }
  return { results, csvPath };
}

/** A metrics.csv column of an epoch's row (NaN where the row has none). */
function metricOf(row: EpochMetrics, name: string): number {
  const value = (row as unknown as Record<string, number | undefined>)[name];
  return typeof value === 'number' ? value : Number.NaN;
}

function bestResult(results: readonly TrialResult[], goal: 'maximize' | 'minimize'): TrialResult | undefined {
  return results
    .filter((result) => Number.isFinite(result.metric) && (result.status === 'completed' || result.status === 'stopped'))
    .reduce<TrialResult | undefined>((top, result) => (!top || (goal === 'maximize' ? result.metric > top.metric : result.metric < top.metric) ? result : top), undefined);
}

/** `{ "optimizer.learningRate": 0.01 }` → `{ optimizer: { learningRate: 0.01 } }`, to paste into a spec. */
function nest(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    let node = tree;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  return tree;
}

function sweepRows(keys: readonly string[], results: readonly TrialResult[], cell = cellOf) {
  return results.map(({ trial, status, summary, runDir, metric, epochs }) => ({
    trial: trial.index,
    values: keys.map((key) => cell(trial.values[key])),
    status,
    epochs,
    metric: Number.isFinite(metric) ? metric : null,
    final: summary?.final?.test_accuracy ?? null,
    best: summary?.best?.test_accuracy ?? null,
    loss: summary?.final?.test_loss ?? null,
    seconds: summary?.durationSeconds ?? null,
    runDir,
  }));
}

/**
 * One row per trial: finished ones with their outcome, then (while the sweep runs, or if it was stopped)
 * the ones still `running` and those `not started`.
 */
function sweepCsv(plan: SweepPlan, planned: readonly Trial[], results: readonly TrialResult[], started: number): string {
  const header = ['trial', ...plan.keys, 'status', 'epochs', `metric_${plan.metric.name}`, 'final_test_accuracy', 'best_test_accuracy', 'final_test_loss', 'duration_seconds', 'run_dir'];
  const rows = sweepRows(plan.keys, results).map((row) => [row.trial, ...row.values, row.status, row.epochs, row.metric ?? '', row.final ?? '', row.best ?? '', row.loss ?? '', row.seconds ?? '', row.runDir ?? '']);
  const finished = new Set(results.map((result) => result.trial.index));
  const open = planned
    .filter((trial) => !finished.has(trial.index))
    .map((trial) => [trial.index, ...plan.keys.map((key) => cellOf(trial.values[key])), trial.index <= started ? 'running' : 'not started', '', '', '', '', '', '', '']);
  return stringify([header, ...[...rows, ...open].sort((a, b) => Number(a[0]) - Number(b[0]))]);
}

/** A swept value as a CSV cell, exactly: strings as they are, other values as JSON. */
const cellOf = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
/** The same for the table, numbers to 6 significant digits. */
const shortCellOf = (value: unknown) => (typeof value === 'number' ? String(Number(value.toPrecision(6))) : cellOf(value));

function sweepTable(plan: SweepPlan, results: readonly TrialResult[], best: TrialResult | undefined): string {
  const table = new Table({ head: ['trial', ...plan.keys, 'status', 'epochs', plan.metric.name, 'test acc', 'seconds'], style: { head: [], border: [] } });
  for (const row of sweepRows(plan.keys, results, shortCellOf)) {
    table.push([
      `${row.trial}${best?.trial.index === row.trial ? ' *' : ''}`,
      ...row.values,
      row.status,
      row.epochs,
      row.metric?.toFixed(4) ?? '-',
      row.final?.toFixed(4) ?? '-',
      row.seconds?.toFixed(1) ?? '-',
    ]);
  }
  return table.toString();
}
