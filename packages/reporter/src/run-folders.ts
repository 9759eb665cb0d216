import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@specml/data';
import { parse as parseYaml } from 'yaml';
import type { MetricsRow } from './metrics-csv.js';

export type RunStatus = 'running' | 'completed' | 'diverged' | 'interrupted' | 'failed';

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
  final: { test_accuracy: number; test_loss: number } | null;
  best: { epoch: number; test_accuracy: number } | null;
  /** Where the latest session's wall time went, in seconds: a profile of the run. */
  timings?: Record<string, number>;
  error?: string;
}

/** One row of metrics.csv, as numbers (absent cells are undefined). */
export type MetricsRecord = MetricsRow;

/** A run folder as read back: its summary, resolved spec and metrics. */
export interface RunRecord {
  readonly dir: string;
  readonly summary: RunSummary;
  readonly spec: Record<string, unknown>;
  readonly metrics: MetricsRecord[];
}

export function readRun(dir: string): RunRecord {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const spec = existsSync(join(dir, 'spec.yaml')) ? (parseYaml(readFileSync(join(dir, 'spec.yaml'), 'utf8')) as Record<string, unknown>) : {};
  const lines = existsSync(join(dir, 'metrics.csv')) ? readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n') : [];
  const header = lines[0]?.split(',') ?? [];
  const metrics = lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((column, index) => [column, cells[index] === '' || cells[index] === undefined ? undefined : Number(cells[index])])) as MetricsRecord;
  });
  return { dir, summary, spec, metrics };
}

/** Run folders (holding summary.json) under each path: a run folder itself, or any folder of runs. */
export function findRunFolders(paths: readonly string[]): string[] {
  const folders: string[] = [];
  for (const path of paths) {
    if (!existsSync(path) || !statSync(path).isDirectory()) throw new UserError(`${path}: no such folder (give run folders, experiment folders or a runs dir)`);
    if (existsSync(join(path, 'summary.json'))) {
      folders.push(path);
      continue;
    }
    const children = readdirSync(path).map((child) => join(path, child)).filter((child) => statSync(child).isDirectory()).sort();
    folders.push(...findRunFolders(children));
  }
  return [...new Set(folders)];
}
