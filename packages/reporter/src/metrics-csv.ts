import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';

export const METRICS_COLUMNS = [
  'epoch',
  'train_loss',
  'train_accuracy',
  'test_loss',
  'test_accuracy',
  'epoch_seconds',
  'samples_per_second',
] as const;

export type MetricsRow = { epoch: number } & Partial<Record<(typeof METRICS_COLUMNS)[number], number>>;

/** Creates (or truncates) a metrics CSV holding just the header. */
export function createMetricsCsv(path: string): void {
  writeDurably(path, stringify([[...METRICS_COLUMNS]]), 'w');
}

/**
 * Replaces the whole file with the header and `rows`, atomically (temporary file, flush, rename): used when
 * a resumed run goes back to its checkpoint, dropping rows written after it or torn by a kill.
 */
export function rewriteMetricsCsv(path: string, rows: readonly MetricsRow[]): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeDurably(temporary, stringify([[...METRICS_COLUMNS], ...rows.map((row) => METRICS_COLUMNS.map((column) => formatCell(row[column])))]), 'w');
  renameSync(temporary, path);
}

/**
 * Appends one row and flushes it to disk, so that a crash right after an epoch loses nothing. The row
 * is one write() call: a reader never sees half a line.
 */
export function appendMetricsRow(path: string, row: MetricsRow): void {
  const cells = METRICS_COLUMNS.map((column) => formatCell(row[column]));
  writeDurably(path, stringify([cells]), 'a');
}

function formatCell(value: number | undefined): string {
  if (value === undefined) return '';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(10)));
}

function writeDurably(path: string, text: string, flags: 'w' | 'a'): void {
  const fd = openSync(path, flags);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
