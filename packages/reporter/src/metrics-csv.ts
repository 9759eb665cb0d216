import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { csvText } from './csv-text.js';
import { temporaryPath, withPath } from './files.js';

import { METRICS_COLUMNS, VALIDATION_COLUMNS, type EpochMetrics, type MetricColumn } from '@specml/data';

export { METRICS_COLUMNS, VALIDATION_COLUMNS };
// The columns of a run's metrics.csv depend on its task: metricsColumnsOf in @specml/data.
/** A row of metrics.csv: the trainer's EpochMetrics, the one row type (see @specml/data). */
export type MetricsRow = EpochMetrics;

/** Creates (or truncates) a metrics CSV holding just the header. */
export function createMetricsCsv(path: string, columns: readonly MetricColumn[] = METRICS_COLUMNS): void {
  writeDurably(path, csvText([[...columns]]), 'w');
}

/**
 * Replaces the whole file with the header and `rows`, atomically (temporary file, flush, rename): used when
 * a resumed run goes back to its checkpoint, dropping rows written after it or torn by a kill.
 */
export function rewriteMetricsCsv(path: string, rows: readonly MetricsRow[], columns: readonly MetricColumn[] = METRICS_COLUMNS): void {
  const temporary = temporaryPath(path);
  writeDurably(temporary, csvText([[...columns], ...rows.map((row) => columns.map((column) => formatCell(row[column])))]), 'w');
  renameSync(temporary, path);
}

/**
 * Appends one row, in one write() call: a reader never sees half a line. It is not flushed to disk row by
 * row (an fsync per epoch cost more than training a small model's epoch): a resumed run takes its rows from
 * its checkpoint, and a finished run flushes the file once (syncMetricsCsv) before saying it is complete.
 */
export function appendMetricsRow(path: string, row: MetricsRow, columns: readonly MetricColumn[] = METRICS_COLUMNS): void {
  const cells = columns.map((column) => formatCell(row[column]));
  writeRows(path, csvText([cells]), 'a', false);
}

/** Flushes the metrics CSV's rows to disk. */
export function syncMetricsCsv(path: string): void {
  writeRows(path, '', 'a', true);
}

function formatCell(value: number | undefined): string {
  // An undefined metric (R² of a constant target) is an empty cell, never the word NaN.
  if (value === undefined || Number.isNaN(value)) return '';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(10)));
}

function writeDurably(path: string, text: string, flags: 'w' | 'a'): void {
  writeRows(path, text, flags, true);
}

function writeRows(path: string, text: string, flags: 'w' | 'a', durably: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (error) {
    throw withPath(error, path);
  }
  try {
    if (text) writeSync(fd, text);
    if (durably) fsyncSync(fd);
  } catch (error) {
    throw withPath(error, path);
  } finally {
    closeSync(fd);
  }
}
