import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { metricsColumnsOf, UserError, type EpochMetrics, type MetricColumn } from '@specml/data';
import { appendMetricsRow, createMetricsCsv, isFinishedStatus, readRun, syncMetricsCsv, renderRunReport, RUN_FILES, spreadOf, summaryIfReadable, writeFileAtomic, writeRunSummary, type RunSummary } from '@specml/reporter';
import { stringify as stringifyYaml } from 'yaml';
import type { TrialExecutor, TrialOutcome } from '../executors/trial-executor.js';
import type { ExperimentSpec } from '../spec/spec-schema.js';
import { canResume, prepareExperiment, type RunOutcome } from './run-experiment.js';
import { lockRunFolder } from './run-lock.js';
import { createRunFolder } from './run-folder.js';

// A run with folds or repeats is a run of members: each fold (validating on it) and each seed a complete run
// in a sub-folder, trained like a sweep's trials; the run itself holds their per-epoch mean, the mean and the
// spread of their results, and the list of members (scikit-learn's cross_validate, repeated).

/** Whether a spec asks for members: data.folds (and is not itself a member), or repeats above 1. */
export function hasMembers(spec: ExperimentSpec): boolean {
  return (spec.data.folds !== undefined && spec.data.fold === undefined) || (spec.repeats ?? 1) > 1;
}

interface Member {
  readonly id: string;
  readonly seed: number;
  readonly fold?: number;
  readonly overrides: string[];
}

/** Every member: each seed (seed, seed + 1, …) with each fold; the same spec always gives the same members. */
function membersOf(spec: ExperimentSpec): Member[] {
  const folds = spec.data.folds;
  const seeds = Array.from({ length: spec.repeats ?? 1 }, (_, r) => spec.seed + r);
  return seeds.flatMap((seed) =>
    (folds === undefined ? [undefined] : Array.from({ length: folds }, (_, f) => f + 1)).map((fold) => ({
      id: `${fold === undefined ? '' : `fold-${fold}-`}seed-${seed}`,
      seed,
      fold,
      overrides: [`seed=${seed}`, 'repeats=1', ...(fold === undefined ? [] : [`data.fold=${fold}`])],
    })),
  );
}

export interface MemberRunOptions {
  /** The spec file, or with `specText` the name that text came from. */
  readonly specFile: string;
  /** The spec as text (a sweep's trial: the spec as the sweep wrote it), instead of reading specFile. */
  readonly specText?: string;
  readonly overrides: readonly string[];
  readonly runsDir: string;
  /** The run's folder name (a sweep's trial has a fixed one); a new run id when absent. */
  readonly runId?: string;
  /** Put before each line the run prints (a sweep's `trial 3/8 `). */
  readonly label?: string;
  readonly signal: AbortSignal;
  readonly executor: TrialExecutor;
}

/** What a run of members ended with: its folder and summary, and which members did not complete. */
export type MemberRunOutcome = RunOutcome & { incomplete?: string };

/**
 * Trains every member (in parallel on the executor's slots), then writes the run's means, spread and members;
 * `incomplete` says which members did not complete (stopped, failed, or never started).
 */
export async function runWithMembers(options: MemberRunOptions): Promise<MemberRunOutcome> {
  const started = performance.now();
  const specText = options.specText ?? readFileSync(options.specFile, 'utf8');
  const { loaded } = await prepareExperiment(options.specFile, options.overrides, { specText });
  const { spec } = loaded;
  const members = membersOf(spec);
  const { dir, runId, lock } = createRunFolder(options.runsDir, spec.name!, options.runId);
  try {
    writeFileAtomic(join(dir, RUN_FILES.spec), `# Resolved from ${options.specFile}: a run of ${members.length} members (${members.map((member) => member.id).join(', ')}).\n${stringifyYaml(spec)}`);
    process.stdout.write(`${options.label ?? ''}run ${spec.name}/${runId}: ${members.length} members (${describeMembers(spec)}), ${Math.min(options.executor.slots, members.length)} at a time\n`);
    return await trainMembers({ dir, runId, spec, specFile: options.specFile, specText, overrides: options.overrides, started }, options);
  } finally {
    lock.release();
  }
}

/**
 * Continues a run of members (`exp --resume <its folder>`): members that ended keep their results, one with a
 * checkpoint goes on from it, the others train from the start; then the means as a run in one go gives them.
 */
export async function resumeWithMembers(dir: string, options: Pick<MemberRunOptions, 'signal' | 'executor'>): Promise<MemberRunOutcome> {
  const started = performance.now();
  const summary = summaryIfReadable(dir);
  if (!summary?.members) throw new UserError(`--resume ${dir}: not a run of members (its summary.json lists none)`);
  if (isFinishedStatus(summary.status)) throw new UserError(`--resume ${dir}: this run already completed; start a new one with exp ${summary.specFile}`);
  const lock = lockRunFolder(dir);
  try {
    // The members train on the run's resolved spec, which gives the same members as the spec it came from.
    const specFile = join(dir, RUN_FILES.spec);
    const specText = readFileSync(specFile, 'utf8');
    const { spec } = (await prepareExperiment(specFile, [], { specText })).loaded;
    const kept = membersOf(spec).filter((member) => isFinishedStatus(summaryIfReadable(memberDir(dir, spec, member))?.status ?? 'running')).length;
    process.stdout.write(`resuming ${summary.name}/${summary.runId}: ${kept} of ${summary.members.length} members kept, ${summary.members.length - kept} to train\n`);
    return await trainMembers({ dir, runId: summary.runId, spec, specFile: summary.specFile ?? specFile, specText, overrides: [], started, previous: summary }, options);
  } finally {
    lock.release();
  }
}

/** A run of members' folder, spec and where its members' spec comes from. */
interface MemberFolder {
  readonly dir: string;
  readonly runId: string;
  readonly spec: ExperimentSpec;
  readonly specFile: string;
  readonly specText: string;
  readonly overrides: readonly string[];
  /** performance.now() when this session began. */
  readonly started: number;
  /** A resumed run's summary as it was: its start, its time so far and its resumes carry on. */
  readonly previous?: RunSummary;
}

/** Marks the run running (so that a killed run can be resumed), trains what is left of its members, writes the means. */
async function trainMembers(run: MemberFolder, options: Pick<MemberRunOptions, 'signal' | 'executor' | 'label'>): Promise<MemberRunOutcome> {
  const members = membersOf(run.spec);
  const outcomes = await runAll(run, members, options, (sofar) => writeSummary(run, summarise(run, members, sofar, 'running')));
  const failed = outcomes.filter((outcome) => !isFinishedStatus(outcome.status));
  const summary = summarise(run, members, outcomes, failed.length === 0 ? 'completed' : options.signal.aborted ? 'interrupted' : 'failed');
  writeSummary(run, summary);
  writeFileAtomic(join(run.dir, RUN_FILES.report), renderRunReport(readRun(run.dir)));
  const first = failed[0] ? `${members[outcomes.indexOf(failed[0])].id}: ${failed[0].status}${failed[0].message ? `: ${failed[0].message}` : ''}` : '';
  return { dir: run.dir, summary, incomplete: failed.length > 0 ? `${failed.length} of ${members.length} members did not complete (${first}); the run's means leave them out` : undefined };
}

const writeSummary = (run: MemberFolder, summary: RunSummary) => writeRunSummary(run.dir, summary);
const memberDir = (dir: string, spec: ExperimentSpec, member: Member) => join(dir, spec.name!, member.id);
const notStarted = (): TrialOutcome => ({ status: 'interrupted', runDir: null, summary: null, message: 'not started' });
const describeMembers = (spec: ExperimentSpec) => `${spec.data.folds ? `${spec.data.folds} folds` : ''}${spec.data.folds && (spec.repeats ?? 1) > 1 ? ' × ' : ''}${(spec.repeats ?? 1) > 1 ? `${spec.repeats} seeds` : ''}`;

/**
 * Each member that has not ended, on the executor's slots; one that ended (a resumed run's) keeps its result.
 * `progress` gets the outcomes so far at the start and as each member ends (the run's summary follows them, so
 * that a killed run can be resumed).
 */
async function runAll(run: MemberFolder, members: readonly Member[], options: Pick<MemberRunOptions, 'signal' | 'executor' | 'label'>, progress: (outcomes: readonly TrialOutcome[]) => void): Promise<TrialOutcome[]> {
  const outcomes = members.map((member): TrialOutcome => {
    const dir = memberDir(run.dir, run.spec, member);
    const summary = summaryIfReadable(dir);
    return summary && isFinishedStatus(summary.status) ? { status: summary.status, runDir: dir, summary, message: '' } : notStarted();
  });
  progress(outcomes);
  const left = members.filter((_, index) => !isFinishedStatus(outcomes[index].status));
  const slot = async () => {
    for (let member = left.shift(); member && !options.signal.aborted; member = left.shift()) {
      const dir = memberDir(run.dir, run.spec, member);
      const outcome = await options.executor.run(
        { id: `${run.runId}-${member.id}`, specText: run.specText, specFile: run.specFile, overrides: [...run.overrides, ...member.overrides], runsDir: run.dir, runId: member.id, resumeRunDir: canResume(dir) ? dir : undefined },
        {},
        options.signal,
      );
      outcomes[members.indexOf(member)] = outcome;
      progress(outcomes);
      const final = outcome.summary?.final;
      process.stdout.write(`${options.label ?? ''}member ${member.id}: ${outcome.status}${final ? `, ${Object.entries(final).filter(([column]) => column.startsWith('validation_')).map(([column, value]) => `${column} ${value.toFixed(4)}`).join(', ')}` : ''}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.executor.slots, left.length) }, slot));
  return outcomes;
}

/** The run's summary: means over the completed members (final, best, per epoch), each final column's spread, the members. */
function summarise({ spec, runId, specFile, dir, started, previous }: MemberFolder, members: readonly Member[], outcomes: readonly TrialOutcome[], status: RunSummary['status']): RunSummary {
  const done = outcomes.map((outcome, index) => ({ outcome, member: members[index] })).filter(({ outcome }) => outcome.summary && (outcome.status === 'completed' || outcome.status === 'stopped'));
  const rows = done.map(({ outcome }) => readRun(outcome.runDir!).metrics);
  const meanRows = meanPerEpoch(rows);
  const columns = metricsColumnsOf(spec.task, rows.some((memberRows) => memberRows.some((row) => row.validation_loss !== undefined)));
  createMetricsCsv(join(dir, RUN_FILES.metrics), columns);
  for (const row of meanRows) appendMetricsRow(join(dir, RUN_FILES.metrics), row, columns);
  syncMetricsCsv(join(dir, RUN_FILES.metrics));
  const finals = done.map(({ outcome }) => outcome.summary!.final ?? {}) as Array<Partial<Record<MetricColumn, number>>>;
  const finalColumns = Object.keys(finals[0] ?? {}) as MetricColumn[];
  const spread = Object.fromEntries(finalColumns.map((column) => [column, spreadOf(finals.map((final) => final[column] ?? Number.NaN))]));
  const last = meanRows.at(-1);
  const first = done[0]?.outcome.summary;
  return {
    name: spec.name!,
    runId,
    status,
    epochs: spec.epochs,
    epochsCompleted: Math.max(0, (last?.epoch ?? 0)),
    backend: first?.backend ?? null,
    tfjsBackend: first?.tfjsBackend ?? null,
    seed: spec.seed,
    task: spec.task,
    classNames: first?.classNames ?? [],
    specFile,
    startedAt: previous?.startedAt ?? new Date(Date.now() - (performance.now() - started)).toISOString(),
    durationSeconds: Number(((previous?.durationSeconds ?? 0) + (performance.now() - started) / 1000).toFixed(3)),
    resumes: previous ? previous.resumes + 1 : 0,
    peakRssMiB: Math.max(0, ...done.map(({ outcome }) => outcome.summary!.peakRssMiB)),
    final: last ? { test_loss: spread.test_loss?.mean ?? last.test_loss, ...Object.fromEntries(finalColumns.map((column) => [column, spread[column].mean])) } : null,
    best: meanBest(spec, done.map(({ outcome }) => outcome.summary!)),
    parameters: first?.parameters,
    baseline: first?.baseline,
    spread: Object.fromEntries(Object.entries(spread).map(([column, { std, ci95, n }]) => [column, { std, ci95, n }])),
    members: outcomes.map((outcome, index) => ({ id: members[index].id, seed: members[index].seed, ...(members[index].fold ? { fold: members[index].fold } : {}), status: outcome.runDir === null && outcome.status === 'interrupted' ? 'not started' : outcome.status, dir: outcome.runDir ? relative(dir, outcome.runDir) : null, final: outcome.summary?.final ?? null })),
  };
}

/** Each epoch's mean over the members that trained it (early stopping may end members at different epochs). */
function meanPerEpoch(members: readonly EpochMetrics[][]): EpochMetrics[] {
  const epochs = Math.max(-1, ...members.map((rows) => rows.at(-1)?.epoch ?? -1));
  return Array.from({ length: epochs + 1 }, (_, epoch) => {
    const present = members.map((rows) => rows.find((row) => row.epoch === epoch)).filter((row): row is EpochMetrics => row !== undefined);
    const columns = [...new Set(present.flatMap((row) => Object.keys(row)))].filter((column) => column !== 'epoch');
    const mean = (column: string) => present.reduce((sum, row) => sum + ((row as unknown as Record<string, number>)[column] ?? 0), 0) / present.length;
    return { epoch, ...Object.fromEntries(columns.map((column) => [column, mean(column)])) } as EpochMetrics;
  });
}

/** The members' best epochs, averaged: the mean best epoch (rounded) and the mean of each column there. */
function meanBest(spec: ExperimentSpec, summaries: readonly RunSummary[]): RunSummary['best'] {
  const bests = summaries.map((summary) => summary.best).filter((best): best is NonNullable<RunSummary['best']> => best !== null);
  if (bests.length === 0 || bests.length < summaries.length) return null;
  const columns = Object.keys(bests[0]).filter((column) => column !== 'epoch');
  return { epoch: Math.round(bests.reduce((sum, best) => sum + best.epoch, 0) / bests.length), ...Object.fromEntries(columns.map((column) => [column, bests.reduce((sum, best) => sum + ((best as Record<string, number>)[column] ?? 0), 0) / bests.length])) };
}


/** `validation accuracy 0.9412 ± 0.0210, test accuracy 0.9367 ± 0.0102 (mean ± 95 % interval over 5 members)`. */
export function describeSpread(summary: RunSummary): string {
  const shown = Object.entries(summary.spread ?? {}).filter(([column]) => /^(validation|test)_(accuracy|rmse)$/.test(column));
  const n = Object.values(summary.spread ?? {})[0]?.n ?? 0;
  return `${shown.map(([column, { ci95 }]) => `${column.replace('_', ' ')} ${(summary.final as Record<string, number>)[column].toFixed(4)} ± ${Number.isFinite(ci95) ? ci95.toFixed(4) : '?'}`).join(', ')} (mean ± 95 % interval over ${n} members)`;
}
