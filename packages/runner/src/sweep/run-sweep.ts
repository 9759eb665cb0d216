import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { readRun, summaryIfReadable, SWEEP_FILES, trialRunDir, type SweepRefitRecord, type SweepState, type TrialState } from '@specml/reporter';
import { SEARCH_METHODS, SuccessiveHalving, type Observation, type Proposal, type Searcher } from '@specml/search';
import { describeTestMetrics, isUserError, metricValue, shellQuoted, TASK_COLUMNS, type EpochMetrics } from '@specml/data';
import type { TrialExecutor, TrialOutcome, TrialRequest } from '../executors/trial-executor.js';
import { hasMembers, runWithMembers } from '../run/member-runs.js';
import { loadSpec, loadSpecText } from '../spec/load-spec.js';
import { canResume, refreshRunsIndex } from '../run/run-experiment.js';
import { parseSweepOption, trialOf, type Trial } from './sweep.js';
import { openSweep, reopenSweep, writeSweepRecord, type OpenedSweep, type SweepSource } from './sweep-folder.js';
import { trialRunId } from '../run/run-folder.js';
import { lockSweepFolder, waitForRunFolder } from '../run/run-lock.js';
import { longestEpochs, planSweep, type SweepPlan } from './sweep-plan.js';
import { bestResult, isFinished, nest, runnerUpVerdict, sweepTable, type TrialResult } from './sweep-report.js';

export interface SweepOptions extends SweepSource {
  /**
   * Where trials run when no `executor` is given: the caller (the CLI) injects how to make a pool of
   * `slots` trial processes on this machine, which the sweep starts early, owns and closes. The sweep
   * itself knows no concrete executor (Hydra's Launcher).
   */
  readonly localExecutor?: (slots: number) => TrialExecutor & { warm(): void };
  readonly workers?: number;
  /** Aborting it stops launching trials and interrupts the running ones. */
  readonly signal?: AbortSignal;
  /** A sweep folder to continue: finished trials are kept, unfinished ones resumed, unstarted ones run. */
  readonly resume?: string;
  /** With resume: run the failed trials again too. */
  readonly retryFailed?: boolean;
}

export type { TrialResult };

export interface SweepOutcome {
  readonly dir: string;
  readonly results: TrialResult[];
  readonly csvPath: string;
}

/** Some trials did not complete (diverged, failed, invalid): the sweep still ran the others and wrote its summary. */
export class SweepIncompleteError extends Error {
  override readonly name = 'SweepIncompleteError';
  constructor(
    message: string,
    readonly sweepDir: string,
    /** Whether some trials failed (an internal error or a killed worker): --retry-failed runs those again. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The sweep was stopped (Ctrl-C, SIGTERM): running trials were interrupted, the rest never started. */
export class SweepInterruptedError extends Error {
  override readonly name = 'SweepInterruptedError';
  constructor(
    message: string,
    /** The sweep folder, which exp --resume continues. */
    readonly sweepDir: string,
    /** Whether its trials ran on a queue (a resume there needs --queue again). */
    readonly onQueue: boolean,
    /** Why it was stopped: a signal, or a queue whose Redis stopped answering. */
    cause?: unknown,
  ) {
    super(message, { cause });
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
 * stop the others. The sweep's folder records every trial as it starts and ends, so that `resume` can
 * continue it: the same trials, finished ones kept. Aborting `signal` starts no more trials, interrupts
 * the running ones, and still writes the record.
 */
export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const sweep = options.resume ? await reopenSweep(options.resume, options) : await openSweep(options);
  const { dir } = sweep;
  // One coordinator per sweep: a second `exp --resume` of a running sweep is refused, a dead one's lock taken over.
  mkdirSync(dir, { recursive: true });
  const lock = lockSweepFolder(dir);
  try {
    return await runLockedSweep(sweep, options);
  } finally {
    lock.release();
  }
}

/**
 * Each trial's state as recorded, checked against its run folder: a trial recorded as running or
 * interrupted whose folder says it finished (the coordinator was killed between the two writes) is
 * adopted as finished, and a finished trial whose folder is gone runs again.
 */
function recordedTrials(sweep: OpenedSweep): Map<number, TrialResult> {
  const entries = new Map<number, TrialResult>();
  for (const trial of sweep.record?.trials ?? []) {
    const runDir = trialRunDir(sweep.dir, trial.runId ?? trialRunId(basename(sweep.dir), trial.index));
    const summary = summaryIfReadable(runDir);
    const entry: TrialResult = { trial: trialOf(trial.index, trial.values), state: trial.state, runDir: summary ? runDir : null, summary, metric: trial.metric ?? Number.NaN, epochs: trial.epochs, message: trial.message, worker: trial.worker };
    if (isFinished(trial.state) && !summary) {
      process.stderr.write(`warning: trial ${trial.index} was ${trial.state}, but its run folder ${runDir} is gone: it runs again\n`);
      entries.set(trial.index, { ...entry, state: 'not started', metric: Number.NaN, epochs: 0, message: '' });
    } else if (!isFinished(trial.state) && summary && isFinished(summary.status)) {
      const { kept, last } = keptRow(runDir, summary);
      entries.set(trial.index, { ...entry, state: summary.status, metric: kept ? metricValue(kept, sweep.plan.metric.name) : Number.NaN, epochs: Math.max(0, last?.epoch ?? 0), message: '', worker: summary.worker });
    } else entries.set(trial.index, entry);
  }
  return entries;
}

/** What the parts of a running sweep share: its trials by index, the record they are saved in, what the searcher and ASHA learnt. */
interface SweepRun {
  readonly sweep: OpenedSweep;
  readonly entries: Map<number, TrialResult>;
  readonly executor: TrialExecutor;
  readonly signal: AbortSignal;
  readonly asha: SuccessiveHalving | undefined;
  /** The finished trials' values and scores, in the order they finished (TPE learns from them). */
  readonly history: Observation[];
  refit: SweepRefitRecord | undefined;
  /** Rewrites the record now: as each trial's run starts and ends, so that a sweep killed outright still leaves it. */
  save(state: SweepState): void;
  /**
   * Rewrites the record within SOON_MS, once for every change made meanwhile: a trial handed to the executor,
   * whose run has no folder yet. Its run's start (a moment later, or when a queue's worker takes it) is saved
   * at once and includes it, so that a sweep of short trials writes its record twice per trial, not three times.
   */
  saveSoon(): void;
}

/** How long a trial handed to the executor may wait to be written into the record (the dashboard shows it that much later). */
const SOON_MS = 250;

/** The trials still to run, in index order, and how many there are with those an adaptive method has yet to propose. */
interface TrialQueue {
  readonly queue: TrialResult[];
  readonly remaining: number;
  readonly searcher: Searcher;
  readonly adaptive: boolean;
  readonly planned: readonly Trial[];
  readonly toRun: (entry: TrialResult) => boolean;
}

async function runLockedSweep(sweep: OpenedSweep, options: SweepOptions): Promise<SweepOutcome> {
  const { plan } = sweep;
  const entries = recordedTrials(sweep);
  const trials = trialQueue(sweep, entries, options.retryFailed === true);
  const executor = await readyExecutor(sweep, options, trials);
  const signal = options.signal ?? new AbortController().signal;
  const asha = plan.earlyStop ? new SuccessiveHalving({ ...plan.earlyStop, goal: plan.metric.goal }) : undefined;
  // Trials of folds or seeds run one at a time, each spreading its members over the executor's slots.
  const slots = hasMembers(sweep.base) ? 1 : Math.max(1, Math.min(executor.slots, trials.remaining));
  announceSweep(sweep, entries, trials, { slots, asha, durable: executor.durable === true });
  const startedAt = sweep.record?.startedAt ?? new Date().toISOString();
  let pendingSave: NodeJS.Timeout | undefined;
  const run: SweepRun = {
    sweep,
    entries,
    executor,
    signal,
    asha,
    history: [],
    refit: sweep.record?.refit,
    save(state) {
      clearTimeout(pendingSave);
      pendingSave = undefined;
      writeSweepRecord(sweep, startedAt, state, [...entries.values()].sort((a, b) => a.trial.index - b.trial.index), run.refit);
    },
    saveSoon() {
      pendingSave ??= setTimeout(() => {
        try {
          run.save('running');
        } catch {
          // A record that cannot be written (a full disk) fails the trial's end save, in the sweep's own flow.
        }
      }, SOON_MS);
    },
  };
  run.save('running');
  replayHistory(run, trials.toRun);
  try {
    const next = nextTrialOf(run, trials);
    await Promise.all(Array.from({ length: slots }, async () => {
      for (let entry = next(); entry; entry = next()) await runTrial(run, entry);
    }));
    await refitIfChosen(run);
  } finally {
    // The last state is written by finishSweep, or by whoever handles the error: never a late 'running'.
    clearTimeout(pendingSave);
    if (executor !== options.executor) await executor.close();
  }
  return finishSweep(run);
}

/**
 * The trials to run: a method that does not learn from results (grid, random) knows every trial up front
 * (drawn from the seed, so a resume draws the same); an adaptive one (bayes) proposes as trials finish.
 */
function trialQueue(sweep: OpenedSweep, entries: Map<number, TrialResult>, retryFailed: boolean): TrialQueue {
  const { plan, base } = sweep;
  const method = SEARCH_METHODS[plan.method];
  const searcher = method.create({ space: plan.space, goal: plan.metric.goal, seed: base.seed, trials: plan.trialCount, options: plan.options });
  const planned = method.adaptive ? [] : Array.from({ length: plan.trialCount }, (_, index) => trialOf(index + 1, searcher.ask(index + 1, [], [])));
  for (const trial of planned) if (!entries.has(trial.index)) entries.set(trial.index, notStarted(trial));
  const toRun = (entry: TrialResult) => entry.state === 'not started' || entry.state === 'running' || entry.state === 'interrupted' || (retryFailed && entry.state === 'failed');
  const queue = [...entries.values()].filter(toRun).sort((a, b) => a.trial.index - b.trial.index);
  return { queue, remaining: queue.length + (method.adaptive ? plan.trialCount - entries.size : 0), searcher, adaptive: method.adaptive, planned, toRun };
}

/**
 * The executor, once every planned trial is validated (an adaptive method's proposals stay inside the ranges
 * validated with the plan). A pool made here is closed by the sweep; an executor passed in belongs to the caller.
 */
async function readyExecutor(sweep: OpenedSweep, options: SweepOptions, { planned, remaining }: TrialQueue): Promise<TrialExecutor> {
  if (!options.executor && !options.localExecutor) throw new Error('runSweep needs an executor or a way to make a local one');
  const pool = options.executor ? undefined : options.localExecutor!(Math.max(1, Math.min(options.workers ?? availableParallelism(), remaining)));
  if (remaining > 0) pool?.warm();
  try {
    for (const trial of planned) await sweep.check(trial.overrides, `trial ${trial.index} of ${planned.length}`);
  } catch (error) {
    pool?.close();
    throw error;
  }
  return options.executor ?? pool!;
}

/** The sweep's first lines: what it tries, where, on what it chooses; and on a resume, what it keeps. */
function announceSweep(sweep: OpenedSweep, entries: Map<number, TrialResult>, { remaining, toRun }: TrialQueue, where: { slots: number; asha: SuccessiveHalving | undefined; durable: boolean }): void {
  const { plan, base, dir, record } = sweep;
  const described = 'trialCount' in SEARCH_METHODS[plan.method] ? plan.axes.map((axis) => `${axis.key} × ${axis.values.length}`).join(', ') : `${plan.method} search over ${plan.keys.join(', ')}`;
  const stopping = where.asha ? `, stopping trials behind at epochs ${where.asha.rungs(longestEpochs(plan.space, base.epochs)).join(', ')}` : '';
  const on = where.durable ? `through the queue, up to ${where.slots} at a time` : `on ${where.slots} worker${where.slots === 1 ? '' : 's'}`;
  process.stdout.write(`sweep ${base.name!}: ${plan.trialCount} trials (${described}${stopping}) ${on}, choosing on ${plan.metric.name} (${plan.metric.goal})\n`);
  if (record) {
    const kept = [...entries.values()].filter((entry) => entry.state !== 'not started' && !toRun(entry)).length;
    process.stdout.write(`resuming ${dir}: ${kept} trial${kept === 1 ? '' : 's'} kept, ${remaining} to run${remaining === 0 ? ' (every trial has ended)' : ''}\n`);
  }
}

/** A trial's epochs: its rungs come from them, and the sweep may vary epochs. */
const epochsOf = (sweep: OpenedSweep, trial: Trial) => (typeof trial.values.epochs === 'number' ? trial.values.epochs : sweep.base.epochs);

/** Early stopping and TPE learn from what the trials did before a resume, in trial order. */
function replayHistory(run: SweepRun, toRun: (entry: TrialResult) => boolean): void {
  const { plan } = run.sweep;
  for (const entry of [...run.entries.values()].sort((a, b) => a.trial.index - b.trial.index)) {
    if (run.asha && entry.runDir) for (const row of metricRows(entry.runDir)) if (row.epoch > 0) run.asha.report(row.epoch, metricValue(row, plan.metric.name), epochsOf(run.sweep, entry.trial));
    if (!toRun(entry) && Number.isFinite(entry.metric)) run.history.push({ proposal: entry.trial.values as Proposal, value: entry.metric });
  }
}

/** The next trial to run: the queue's, then (adaptive methods) a new proposal; none once stopped or all proposed. */
function nextTrialOf(run: SweepRun, { queue, adaptive, searcher }: TrialQueue): () => TrialResult | undefined {
  const { plan } = run.sweep;
  return () => {
    if (run.signal.aborted) return undefined;
    if (queue.length > 0) return queue.shift();
    if (!adaptive || run.entries.size >= plan.trialCount) return undefined;
    const index = run.entries.size + 1;
    // The searcher learns from the finished trials; those still running are pending (bayes counts them as
    // bad until they report, so parallel workers spread out).
    const pending = [...run.entries.values()].filter((entry) => entry.state === 'running').map((entry) => entry.trial.values as Proposal);
    const entry = notStarted(trialOf(index, searcher.ask(index, run.history, pending)));
    run.entries.set(index, entry);
    return entry;
  };
}

/** Runs one trial through the executor (resuming its folder where it has one) and records how it ended. */
async function runTrial(run: SweepRun, entry: TrialResult): Promise<void> {
  const { sweep, entries, asha, save, saveSoon } = run;
  const { plan, dir } = sweep;
  const { trial } = entry;
  const runId = trialRunId(basename(dir), trial.index);
  const runDir = trialRunDir(dir, entry.runDir ? basename(entry.runDir) : runId);
  await waitForRunFolder(runDir);
  const resumeRunDir = canResume(runDir) ? runDir : undefined;
  entries.set(trial.index, { ...entry, state: 'running', runDir: resumeRunDir ?? null, message: '' });
  saveSoon();
  const label = `trial ${trial.index}/${plan.trialCount}`;
  const request: TrialRequest = { id: `${basename(dir)}-${trial.index}`, specText: sweep.written.specText, specFile: sweep.specFile, overrides: [...sweep.written.overrides, ...trial.overrides], runsDir: sweep.runsDir, awaitVerdicts: asha !== undefined, resumeRunDir, runId };
  if (hasMembers(sweep.base)) {
    entries.set(trial.index, { ...entries.get(trial.index)!, runDir });
    save('running');
  }
  const outcome = hasMembers(sweep.base) ? await runMemberTrial(run, request, label) : await run.executor.run(
    request,
    {
      onStart: (started) => {
        entries.set(trial.index, { ...entries.get(trial.index)!, runDir: started });
        save('running');
      },
      onEpoch: (row, worker) => {
        if (row.epoch > 0) process.stdout.write(`${label} epoch ${row.epoch}${worker ? ` on ${worker}` : ''}: ${describeTestMetrics(row)}\n`);
        return asha?.report(row.epoch, metricValue(row, plan.metric.name), epochsOf(sweep, trial));
      },
    },
    run.signal,
  );
  const { value, epochs } = trialScore(outcome, plan.metric.name);
  entries.set(trial.index, { trial, state: outcome.status, runDir: outcome.runDir, summary: outcome.summary, metric: value, epochs, message: outcome.message, worker: outcome.worker });
  save('running');
  if (Number.isFinite(value)) run.history.push({ proposal: trial.values as Proposal, value });
  const shown = Number.isFinite(value) ? `, ${plan.metric.name} ${value.toFixed(4)}` : '';
  process.stdout.write(`${label} ${trial.overrides.join(' ')}: ${outcome.status}${shown}${outcome.runDir ? ` → ${outcome.runDir}` : ''}\n`);
}

/**
 * A trial of folds or seeds: a run of members on the sweep's executor (its slots go to the members, one
 * trial at a time), scored by the members' mean.
 */
async function runMemberTrial(run: SweepRun, request: TrialRequest, label: string): Promise<TrialOutcome> {
  try {
    const { dir, summary, incomplete } = await runWithMembers({ ...request, label: `${label} `, signal: run.signal, executor: run.executor });
    return { status: run.signal.aborted ? 'interrupted' : incomplete ? 'failed' : 'completed', runDir: dir, summary, message: incomplete ?? '' };
  } catch (error) {
    if (!isUserError(error)) throw error;
    return { status: 'invalid', runDir: null, summary: null, message: (error as Error).message };
  }
}

/**
 * A trial's score on the sweep's metric and how many epochs it trained: a single run's from the row of the
 * model it kept; a run of members' from their mean (each member's kept model), the cross-validation score.
 */
function trialScore(outcome: TrialOutcome, metric: string): { value: number; epochs: number } {
  if (!isFinished(outcome.status) || !outcome.runDir) return { value: Number.NaN, epochs: Math.max(0, outcome.summary?.epochsCompleted ?? 0) };
  if (outcome.summary?.members) return { value: metricValue((outcome.summary.final ?? {}) as EpochMetrics, metric), epochs: outcome.summary.epochsCompleted };
  const { kept, last } = keptRow(outcome.runDir, outcome.summary);
  return { value: kept ? metricValue(kept, metric) : Number.NaN, epochs: Math.max(0, last?.epoch ?? 0) };
}

/** Once every trial has ended, the chosen settings train once more on training + validation rows (sweep.refit). */
async function refitIfChosen(run: SweepRun): Promise<void> {
  const { plan } = run.sweep;
  const ended = [...run.entries.values()];
  const chosen = bestResult(ended, plan.metric.goal);
  if (!plan.refit || !chosen || run.signal.aborted || ended.length !== plan.trialCount || !ended.every((entry) => isFinished(entry.state))) return;
  run.refit = await refitChosen(run.sweep, chosen, run.executor, run.signal, run.refit, (started) => {
    run.refit = started;
    run.save('running');
  });
}

/** The sweep's end: its record's final state, the runs index, the table, the best trial; an error if it was stopped or some trials did not complete. */
async function finishSweep(run: SweepRun): Promise<SweepOutcome> {
  const { sweep, signal } = run;
  const { plan, dir } = sweep;
  const csvPath = join(dir, SWEEP_FILES.csv);
  const results = [...run.entries.values()].sort((a, b) => a.trial.index - b.trial.index);
  const unfinished = results.filter((result) => !isFinished(result.state) && result.state !== 'not started' && result.state !== 'interrupted');
  run.save(signal.aborted ? 'interrupted' : unfinished.length > 0 ? 'incomplete' : 'completed');
  await refreshRunsIndex(sweep.runsDir);
  const best = bestResult(results, plan.metric.goal);
  process.stdout.write(`${sweepTable(plan, results.filter((result) => result.state !== 'not started'), best)}\nsweep summary: ${csvPath}\n`);
  if (run.refit) process.stdout.write(`${describeRefit(plan, run.refit, trialRunDir(dir, run.refit.runId))}\n`);
  const verdict = runnerUpVerdict(plan, results, best);
  if (verdict) process.stdout.write(`${verdict}\n`);
  if (best) process.stdout.write(describeBestTrial(sweep, best));
  if (signal.aborted) {
    const count = (state: TrialState) => results.filter((result) => result.state === state).length;
    const interrupted = count('interrupted');
    throw new SweepInterruptedError(
      `the sweep was stopped: ${interrupted} trial${interrupted === 1 ? '' : 's'} interrupted, ${count('not started') + plan.trialCount - results.length} not started (summary: ${csvPath})`,
      dir,
      run.executor.durable === true,
      signal.reason,
    );
  }
  if (unfinished.length > 0) {
    const reasons = unfinished.map((result) => `trial ${result.trial.index}: ${result.state}${result.message ? `: ${result.message}` : ''}`);
    throw new SweepIncompleteError(`${unfinished.length} of ${results.length} trials did not complete (${reasons.join('; ')})`, dir, unfinished.some((result) => result.state === 'failed'));
  }
  return { dir, results, csvPath };
}

/** The best trial, as --set options and as YAML to paste into a spec. */
function describeBestTrial(sweep: OpenedSweep, best: TrialResult): string {
  const trialSpec = loadSpecText(sweep.written.specText, sweep.specFile, [...sweep.written.overrides, ...best.trial.overrides]).spec as unknown as Record<string, unknown>;
  const yaml = stringifyYaml(nest(best.trial.values, trialSpec)).replace(/^/gm, '  ').trimEnd();
  return `best: trial ${best.trial.index}, ${sweep.plan.metric.name} ${best.metric.toFixed(4)}; as options: ${best.trial.overrides.map((override) => `--set ${shellQuoted(override)}`).join(' ')}\n  as YAML for a spec:\n${yaml}\n`;
}

/**
 * Trains the chosen trial's settings once more on the training and validation rows together, for as many
 * epochs as its best validation epoch, as a run folder `<sweep-id>-refit` beside the trials (scikit-learn's
 * refit): the sweep's test score comes from a model that saw every row it may see. Exactly once: a refit
 * recorded as ended (its folder still there) is kept, an interrupted one continues from its checkpoint.
 */
async function refitChosen(sweep: OpenedSweep, chosen: TrialResult, executor: TrialExecutor, signal: AbortSignal, previous: SweepRefitRecord | undefined, onStart: (started: SweepRefitRecord) => void): Promise<SweepRefitRecord> {
  const runId = `${basename(sweep.dir).replace(/^sweep-/, '')}-refit`;
  const runDir = trialRunDir(sweep.dir, runId);
  if (previous && isFinished(previous.state) && summaryIfReadable(runDir)) return previous;
  const epochs = Math.max(1, chosen.summary?.best?.epoch ?? chosen.epochs);
  const trialSpec = loadSpecText(sweep.written.specText, sweep.specFile, [...sweep.written.overrides, ...chosen.trial.overrides]).spec;
  const { sweep: _sweep, earlyStopping: _earlyStopping, repeats: _repeats, ...settings } = trialSpec;
  const { validationSplit: _validationSplit, folds: _folds, fold: _fold, ...data } = settings.data;
  const description = `refit of ${basename(sweep.dir)}: trial ${chosen.trial.index}'s settings trained on the training and validation rows together for ${epochs} epochs (its best validation epoch)`;
  const specText = stringifyYaml({ ...settings, description, data, epochs });
  const started: SweepRefitRecord = { fromTrial: chosen.trial.index, epochs, runId, state: 'running', message: '' };
  await waitForRunFolder(runDir);
  onStart(started);
  process.stdout.write(`refit: trial ${chosen.trial.index}'s settings on training + validation rows for ${epochs} epochs\n`);
  const outcome = await executor.run({ id: `${basename(sweep.dir)}-refit`, specText, specFile: sweep.specFile, overrides: [], runsDir: sweep.runsDir, runId, resumeRunDir: canResume(runDir) ? runDir : undefined, refit: true }, {}, signal);
  return { ...started, state: outcome.status, message: outcome.message };
}

/** The refit's line under the sweep's table: its test score, or how it ended. */
function describeRefit(plan: SweepPlan, refit: SweepRefitRecord, runDir: string): string {
  const final = summaryIfReadable(runDir)?.final as Record<string, number> | null | undefined;
  const headline = TASK_COLUMNS[plan.task].headline;
  const score = refit.state === 'completed' && typeof final?.[headline] === 'number' ? `${headline} ${final[headline].toFixed(4)}` : `${refit.state}${refit.message ? `: ${refit.message}` : ''}`;
  return `refit (trial ${refit.fromTrial}'s settings, training + validation rows, ${refit.epochs} epochs): ${score} → ${runDir}`;
}

const notStarted = (trial: Trial): TrialResult => ({ trial, state: 'not started', runDir: null, summary: null, metric: Number.NaN, epochs: 0, message: '' });

/**
 * A trial's score row: the epoch of the model it kept (the last, or with early stopping's restoreBest the best
 * one), and its last row (how far it trained).
 */
function keptRow(runDir: string, summary: { restoredEpoch?: number | null } | null): { kept?: EpochMetrics; last?: EpochMetrics } {
  const rows = metricRows(runDir);
  const last = rows.at(-1);
  return { kept: rows.find((row) => row.epoch === summary?.restoredEpoch) ?? last, last };
}

/** A run folder's metrics.csv rows (none where it has no readable folder yet). */
function metricRows(runDir: string): EpochMetrics[] {
  try {
    return readRun(runDir).metrics;
  } catch {
    return [];
  }
}


