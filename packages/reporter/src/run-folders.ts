import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMetricColumn, isPlainObject, isSafeName, readRegularFile, TASKS, UnreadableFileError, UserError, type MetricColumn, type Task } from '@specml/data';
import { parse as parseYaml } from 'yaml';
import type { MetricsRow } from './metrics-csv.js';
import { isSweepFolder, sweepRunFolders } from './sweep-folders.js';

import { RUN_STATUSES, type RunStatus } from './run-status.js';
import { writeFileAtomic } from './files.js';
import { RUN_FILES } from './run-files.js';

export type { RunStatus };

/** The contents of a run folder's summary.json. */
export interface RunSummary {
  name: string;
  runId: string;
  status: RunStatus;
  epochs: number;
  epochsCompleted: number;
  backend: string | null;
  tfjsBackend: string | null;
  seed: number;
  /** The dataset's class names, in label order. */
  classNames: string[];
  specFile: string;
  startedAt: string;
  /** Wall time of all sessions of this run (the first, and each resume). */
  durationSeconds: number;
  /** How many times the run was resumed after an interruption. */
  resumes: number;
  /** The largest resident memory of this run's processes, in MiB. */
  peakRssMiB: number;
  /** What the model predicts (older run folders: classification). */
  task: Task;
  /** The kept model's test (and validation) columns: the last row's, or with early stopping's restoreBest the best epoch's. */
  final: FinalMetrics | null;
  /**
   * The best epoch chosen on validation data (the headline's validation column, or earlyStopping.metric), its
   * score there and the test columns at that epoch; null without validation data (only a final epoch then).
   */
  best: ({ epoch: number } & Partial<Record<MetricColumn, number>>) | null;
  /** The model's trainable parameters. */
  parameters?: number;
  /** data.classWeights as trained with: class name → weight in the training loss. */
  classWeights?: Record<string, number>;
  /** A model that learnt nothing, on the same test set: always the majority class, or the training mean. */
  baseline?: { description: string } & Partial<Record<MetricColumn, number>>;
  /** A run with folds or repeats: each final column's spread over its members (sample std, half-width of the 95 % interval, count). */
  spread?: Record<string, { std: number; ci95: number; n: number }>;
  /** Its members: each a complete run in a sub-folder (dir, relative to the run's), with its seed, fold and result. */
  members?: Array<{ id: string; seed: number; fold?: number; status: string; dir: string | null; final: Partial<Record<MetricColumn, number>> | null }>;
  /** Early stopping: the epoch training stopped after (null: it ran every epoch), and the epoch whose weights were kept. */
  stoppedEpoch?: number | null;
  restoredEpoch?: number | null;
  /** Where the latest session's wall time went, in seconds: a profile of the run. */
  timings?: Record<string, number>;
  /** The latest session's training seconds per layer and the parameter updates', with the arithmetic rate, on the native engine. */
  layerTimings?: LayerTimings;
  /** The queue worker that ran it (host/pid), for runs trained on another machine. */
  worker?: string;
  /** A sweep's refit: the chosen trial's settings trained on training + validation rows, the sweep's result. */
  refit?: boolean;
  error?: string;
}

/**
 * Training time layer by layer (the native engine times each layer's forward and backward over the training
 * batches; evaluation is not counted). GFLOP/s counts 2 operations per multiply-add, forward once and backward
 * twice (the input's and the weights' gradients; the first layer's, once), for the kinds whose work is
 * multiply-adds (dense, convolutions); null for the rest.
 */
export interface LayerTimings {
  readonly samples: number;
  readonly optimizerSeconds: number;
  readonly layers: ReadonlyArray<{ layer: string; forwardSeconds: number; backwardSeconds: number; forwardGflops: number | null; backwardGflops: number | null }>;
}

/** A summary's `final`: the test columns of the run's last row. */
export type FinalMetrics = { test_loss: number } & Partial<Record<MetricColumn, number>>;

/** One row of metrics.csv, as numbers (absent cells are undefined). */
export type MetricsRecord = MetricsRow;

/** A run folder as read back: its summary, resolved spec and metrics. */
export interface RunRecord {
  readonly dir: string;
  readonly summary: RunSummary;
  readonly spec: Record<string, unknown>;
  readonly metrics: MetricsRecord[];
}

/** A run folder whose summary.json cannot be read: left out of pages and comparisons, with why. */
export class UnreadableRunError extends Error {
  constructor(readonly dir: string, reason: string) {
    super(`${join(dir, RUN_FILES.summary)} is unreadable (${reason}); the run is left out`);
  }
}


/**
 * A run folder's summary.json, checked field by field: a run folder may come from anywhere (another machine,
 * a hand edit), so every field is taken only with the type it must have; a field of the wrong type reads as
 * unknown (null, 0 or empty), and only a summary without a name, run id or status is refused.
 */
function readSummary(dir: string): RunSummary {
  let summary: unknown;
  try {
    summary = JSON.parse(readRegularFile(join(dir, RUN_FILES.summary)));
  } catch (error) {
    throw new UnreadableRunError(dir, error instanceof UnreadableFileError ? error.reason : (error as Error).message.split('\n')[0]);
  }
  const fields = summary as Record<string, unknown> | null;
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || typeof fields.name !== 'string' || typeof fields.runId !== 'string' || !RUN_STATUSES.has(String(fields.status))) {
    throw new UnreadableRunError(dir, 'it lacks name, runId or status');
  }
  return {
    ...fields,
    name: fields.name,
    runId: fields.runId,
    status: fields.status as RunStatus,
    epochs: count(fields.epochs),
    epochsCompleted: count(fields.epochsCompleted),
    backend: text(fields.backend),
    tfjsBackend: text(fields.tfjsBackend),
    seed: count(fields.seed),
    classNames: Array.isArray(fields.classNames) ? fields.classNames.map(String) : [],
    specFile: text(fields.specFile) ?? '',
    startedAt: text(fields.startedAt) ?? '',
    durationSeconds: number(fields.durationSeconds) ?? 0,
    resumes: count(fields.resumes),
    peakRssMiB: number(fields.peakRssMiB) ?? 0,
    task: TASKS.includes(fields.task as Task) ? (fields.task as Task) : 'classification',
    final: metricsRecord(fields.final, 'test_loss') as RunSummary['final'],
    best: metricsRecord(fields.best, 'epoch') as RunSummary['best'],
    timings: isPlainObject(fields.timings) ? Object.fromEntries(Object.entries(fields.timings).filter(([, value]) => number(value) !== null)) as Record<string, number> : undefined,
    worker: text(fields.worker) ?? undefined,
    ...(fields.refit === true ? { refit: true } : {}),
    error: text(fields.error) ?? undefined,
    ...(number(fields.parameters) !== null ? { parameters: count(fields.parameters) } : {}),
    ...(isPlainObject(fields.classWeights) ? { classWeights: Object.fromEntries(Object.entries(fields.classWeights).filter(([, weight]) => number(weight) !== null && (weight as number) > 0)) as Record<string, number> } : {}),
    ...(isPlainObject(fields.baseline) && typeof fields.baseline.description === 'string' ? { baseline: { ...metricsRecord(fields.baseline, Object.keys(fields.baseline).find(isMetricColumn) ?? 'test_accuracy'), description: fields.baseline.description } } : {}),
    ...(isPlainObject(fields.spread) ? { spread: spreadRecord(fields.spread) } : {}),
    ...(Array.isArray(fields.members) ? { members: fields.members.slice(0, 10_000).filter(isPlainObject).map(memberRecord) } : {}),
    ...('stoppedEpoch' in fields ? { stoppedEpoch: fields.stoppedEpoch === null ? null : count(fields.stoppedEpoch) } : {}),
    ...('restoredEpoch' in fields ? { restoredEpoch: fields.restoredEpoch === null ? null : count(fields.restoredEpoch) } : {}),
  };
}

/** A summary's spread, read field by field (a run folder may come from anyone). */
function spreadRecord(value: Record<string, unknown>): NonNullable<RunSummary['spread']> {
  return Object.fromEntries(Object.entries(value).filter(([column, entry]) => isMetricColumn(column) && isPlainObject(entry)).map(([column, entry]) => {
    const { std, ci95, n } = entry as Record<string, unknown>;
    return [column, { std: number(std) ?? Number.NaN, ci95: number(ci95) ?? Number.NaN, n: count(n) }];
  }));
}

function memberRecord(value: Record<string, unknown>): NonNullable<RunSummary['members']>[number] {
  const dir = text(value.dir);
  return {
    id: text(value.id) ?? '?',
    seed: count(value.seed),
    ...(value.fold !== undefined ? { fold: count(value.fold) } : {}),
    status: text(value.status) ?? 'failed',
    // A member's folder is inside the run's: a name of plain segments, never `..` or absolute.
    dir: dir !== null && dir.split('/').every((segment) => isSafeName(segment)) ? dir : null,
    final: metricsRecord(value.final, 'test_loss'),
  };
}

const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const count = (value: unknown): number => (Number.isInteger(value) && (value as number) >= 0 ? (value as number) : 0);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
/** An object holding `required` and metrics columns, each a finite number (others dropped), or null. */
function metricsRecord(value: unknown, required: string): Record<string, number> | null {
  if (!isPlainObject(value) || number(value[required]) === null) return null;
  return Object.fromEntries(Object.entries(value).filter(([key, cell]) => (key === required || isMetricColumn(key)) && number(cell) !== null) as [string, number][]);
}

/** Writes a run folder's summary.json whole (never half-written: a reader sees the old one or the new one). */
export function writeRunSummary(dir: string, summary: RunSummary): void {
  writeFileAtomic(join(dir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
}

/** A run folder's summary where it has a readable one (a process may have died before writing it). */
export function summaryIfReadable(dir: string): RunSummary | null {
  try {
    return readSummary(dir);
  } catch {
    return null;
  }
}

export function readRun(dir: string): RunRecord {
  const summary = readSummary(dir);
  const parsed = existsSync(join(dir, 'spec.yaml')) ? (parseYaml(readRegularFile(join(dir, 'spec.yaml'))) as unknown) : {};
  const spec = isPlainObject(parsed) ? parsed : {};
  const lines = existsSync(join(dir, 'metrics.csv')) ? readRegularFile(join(dir, 'metrics.csv')).trim().split('\n') : [];
  const header = lines[0]?.split(',') ?? [];
  const metrics = lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row = Object.fromEntries(header.filter(isMetricColumn).map((column) => [column, cellNumber(cells[header.indexOf(column)])]));
    // The columns every row has are numbers (NaN where a hand-edited or torn file lacks them).
    return { ...row, epoch: row.epoch ?? Number.NaN, test_loss: row.test_loss ?? Number.NaN, test_accuracy: row.test_accuracy ?? Number.NaN } as MetricsRecord;
  });
  return { dir, summary, spec, metrics };
}

/** A CSV cell as a number; an empty or missing cell is absent. */
const cellNumber = (cell: string | undefined): number | undefined => (cell === '' || cell === undefined ? undefined : Number(cell));

/** Run folders (holding summary.json) under each path: a run folder itself, a sweep folder (its trials), or any folder of runs. */
export function findRunFolders(paths: readonly string[]): string[] {
  const folders: string[] = [];
  for (const path of paths) {
    if (!isFolder(path)) throw new UserError(`${path}: no such folder (give run folders, experiment folders or a runs dir)`);
    folders.push(...(isSweepFolder(path) ? sweepRunFolders(path) : walkRunsDir(path).runs));
  }
  return [...new Set(folders)];
}

/** Runs dir → experiment folders → run folders: deeper folders (and unreadable entries) are not runs. */
const MAX_RUN_DEPTH = 3;
/** The most folders one walk reports (a runs dir beyond that is read up to there). */
export const MAX_WALKED_FOLDERS = 5000;

/**
 * The one walk of a runs dir, shared by compare, the index and the dashboard: the run folders (holding
 * summary.json) and sweep folders (holding sweep.json) at most three levels down, sorted, without going
 * into hidden folders (a queue's incoming copies) or into the folders found. `path` may itself be a run.
 */
export function walkRunsDir(path: string, limit = MAX_WALKED_FOLDERS): { runs: string[]; sweeps: string[] } {
  const found = { runs: [] as string[], sweeps: [] as string[] };
  const visit = (dir: string, depth: number) => {
    if (found.runs.length + found.sweeps.length >= limit) return;
    if (existsSync(join(dir, RUN_FILES.summary)) || lstatOrUndefined(join(dir, RUN_FILES.summary))) return void found.runs.push(dir);
    if (depth > 0 && isSweepFolder(dir)) return void found.sweeps.push(dir);
    if (depth >= MAX_RUN_DEPTH) return;
    let children: string[];
    try {
      children = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const child of children) if (!child.startsWith('.') && isFolder(join(dir, child))) visit(join(dir, child), depth + 1);
  };
  visit(path, 0);
  return found;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // gone, a broken link, or not ours to read
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Reads every run folder it can; the others come back as one warning each, naming the file and why. */
export function readRuns(folders: readonly string[]): { runs: RunRecord[]; warnings: string[] } {
  const runs: RunRecord[] = [];
  const warnings: string[] = [];
  for (const dir of folders) {
    try {
      runs.push(readRun(dir));
    } catch (error) {
      warnings.push(error instanceof UnreadableRunError ? error.message : `${dir}: ${(error as Error).message}; the run is left out`);
    }
  }
  return { runs, warnings };
}
