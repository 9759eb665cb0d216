import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { metricsColumnsOf, type EpochMetrics, type MetricColumn } from '@specml/data';
import { appendMetricsRow, createMetricsCsv, readRun, syncMetricsCsv, renderRunReport, RUN_FILES, spreadOf, writeFileAtomic, type RunSummary } from '@specml/reporter';
import { stringify as stringifyYaml } from 'yaml';
import type { TrialExecutor, TrialOutcome } from '../executors/trial-executor.js';
import type { ExperimentSpec } from '../spec/spec-schema.js';
import { prepareExperiment, type RunOutcome } from './run-experiment.js';
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

/**
 * Trains every member (in parallel on the executor's slots), then writes the run's means, spread and members;
 * `incomplete` says which members did not complete (stopped, failed, or never started).
 */
export async function runWithMembers(options: MemberRunOptions): Promise<RunOutcome & { incomplete?: string }> {
  const started = performance.now();
  const specText = options.specText ?? readFileSync(options.specFile, 'utf8');
  const { loaded } = await prepareExperiment(options.specFile, options.overrides, { specText });
  const { spec } = loaded;
  const members = membersOf(spec);
  const { dir, runId, lock } = createRunFolder(options.runsDir, spec.name!, options.runId);
  try {
    writeFileAtomic(join(dir, RUN_FILES.spec), `# Resolved from ${options.specFile}: a run of ${members.length} members (${members.map((member) => member.id).join(', ')}).\n${stringifyYaml(spec)}`);
    process.stdout.write(`${options.label ?? ''}run ${spec.name}/${runId}: ${members.length} members (${spec.data.folds ? `${spec.data.folds} folds` : ''}${spec.data.folds && (spec.repeats ?? 1) > 1 ? ' × ' : ''}${(spec.repeats ?? 1) > 1 ? `${spec.repeats} seeds` : ''}), ${Math.min(options.executor.slots, members.length)} at a time\n`);
    const outcomes = await runAll(members, options, specText, dir, runId);
    const summary = summarise(spec, runId, options.specFile, members, outcomes, dir, started);
    writeFileAtomic(join(dir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileAtomic(join(dir, RUN_FILES.report), renderRunReport(readRun(dir)));
    const failed = outcomes.filter((outcome) => outcome.status !== 'completed' && outcome.status !== 'stopped');
    const first = failed[0] ? `${members[outcomes.indexOf(failed[0])].id}: ${failed[0].status}${failed[0].message ? `: ${failed[0].message}` : ''}` : '';
    return { dir, summary, incomplete: failed.length > 0 ? `${failed.length} of ${members.length} members did not complete (${first}); the run's means leave them out` : undefined };
  } finally {
    lock.release();
  }
}

async function runAll(members: readonly Member[], options: MemberRunOptions, specText: string, dir: string, runId: string): Promise<TrialOutcome[]> {
  // A member that never starts (the run was stopped first) stays interrupted.
  const outcomes: TrialOutcome[] = members.map(() => ({ status: 'interrupted', runDir: null, summary: null, message: 'not started' }));
  let next = 0;
  const slot = async () => {
    while (next < members.length && !options.signal.aborted) {
      const index = next++;
      const member = members[index];
      const outcome = await options.executor.run(
        { id: `${runId}-${member.id}`, specText, specFile: options.specFile, overrides: [...options.overrides, ...member.overrides], runsDir: dir, runId: member.id },
        {},
        options.signal,
      );
      outcomes[index] = outcome;
      const final = outcome.summary?.final;
      process.stdout.write(`${options.label ?? ''}member ${member.id}: ${outcome.status}${final ? `, ${Object.entries(final).filter(([column]) => column.startsWith('validation_')).map(([column, value]) => `${column} ${value.toFixed(4)}`).join(', ')}` : ''}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.executor.slots, members.length) }, slot));
  return outcomes;
}

/** The run's summary: means over the completed members (final, best, per epoch), each final column's spread, the members. */
function summarise(spec: ExperimentSpec, runId: string, specFile: string, members: readonly Member[], outcomes: readonly TrialOutcome[], dir: string, started: number): RunSummary {
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
    status: done.length === members.length ? 'completed' : 'failed',
    epochs: spec.epochs,
    epochsCompleted: Math.max(0, (last?.epoch ?? 0)),
    backend: first?.backend ?? null,
    tfjsBackend: first?.tfjsBackend ?? null,
    seed: spec.seed,
    task: spec.task,
    classNames: first?.classNames ?? [],
    specFile,
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    durationSeconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    resumes: 0,
    peakRssMiB: Math.max(0, ...done.map(({ outcome }) => outcome.summary!.peakRssMiB)),
    final: last ? { test_loss: spread.test_loss?.mean ?? last.test_loss, ...Object.fromEntries(finalColumns.map((column) => [column, spread[column].mean])) } : null,
    best: meanBest(spec, done.map(({ outcome }) => outcome.summary!)),
    parameters: first?.parameters,
    baseline: first?.baseline,
    spread: Object.fromEntries(Object.entries(spread).map(([column, { std, ci95, n }]) => [column, { std, ci95, n }])),
    members: outcomes.map((outcome, index) => ({ id: members[index].id, seed: members[index].seed, ...(members[index].fold ? { fold: members[index].fold } : {}), status: outcome.status, dir: outcome.runDir ? relative(dir, outcome.runDir) : null, final: outcome.summary?.final ?? null })),
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
