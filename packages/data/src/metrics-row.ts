// One row of a run's metrics.csv: the one type the trainer produces, the CSV writer and reader handle, and
// sweeps, compare and the dashboard consume. Below everything but the metrics registry, so that every package can use it.

import { metricNamesOf, METRIC_KINDS, type MetricName } from './metrics/index.js';
import type { Task } from './metrics/kind.js';

export type { Task };
export const TASKS: readonly Task[] = ['classification', 'regression'];

type Held<Which extends string, Names extends string> = `${Which}_${Names}`;
/** A column of metrics.csv: the epoch, the training columns, each set's loss and metrics (metrics/), the timings. */
export type MetricColumn = 'epoch' | 'train_loss' | 'train_accuracy' | 'test_loss' | 'validation_loss' | Held<'test' | 'validation', MetricName> | 'epoch_seconds' | 'samples_per_second';

/** A task's columns: the held-out sets' loss then every metric of the task, in the metrics registry's order. */
const heldOut = <W extends 'test' | 'validation'>(which: W, task: Task): Held<W, 'loss' | MetricName>[] => [`${which}_loss`, ...metricNamesOf(task).map((name) => `${which}_${name}` as const)];

/** The columns of metrics.csv for each task, and the ones added at the end when there is a validation set. */
export const TASK_COLUMNS = {
  classification: {
    columns: ['epoch', 'train_loss', 'train_accuracy', ...heldOut('test', 'classification'), 'epoch_seconds', 'samples_per_second'] as readonly MetricColumn[],
    validation: heldOut('validation', 'classification') as readonly MetricColumn[],
    /** The column a run's best epoch and a sweep's default choice go by. */
    headline: 'test_accuracy',
    /** The test column shown beside it (tables, charts, comparisons). */
    second: 'test_loss',
  },
  regression: {
    columns: ['epoch', 'train_loss', ...heldOut('test', 'regression'), 'epoch_seconds', 'samples_per_second'] as readonly MetricColumn[],
    validation: heldOut('validation', 'regression') as readonly MetricColumn[],
    headline: 'test_rmse',
    second: 'test_r2',
  },
} as const satisfies Record<Task, { headline: MetricColumn; second: MetricColumn; columns: readonly MetricColumn[]; validation: readonly MetricColumn[] }>;

export const METRICS_COLUMNS = TASK_COLUMNS.classification.columns;
export const VALIDATION_COLUMNS = TASK_COLUMNS.classification.validation;

/**
 * One epoch's row. Epoch 0 is the untrained model: its train and timing fields are absent. A classifier's
 * held-out columns are its loss, accuracy, macro F1 and ROC AUC; a regression's its loss, MAE, RMSE and R², in
 * the target's units (see metrics/).
 */
export type EpochMetrics = { epoch: number; test_loss: number } & { [Column in Exclude<MetricColumn, 'epoch' | 'test_loss'>]?: number };

/** metrics.csv's columns for a task, with or without the validation ones. */
export function metricsColumnsOf(task: Task, withValidation: boolean): readonly MetricColumn[] {
  const { columns, validation } = TASK_COLUMNS[task];
  return withValidation ? [...columns, ...validation] : columns;
}

const COLUMNS: ReadonlySet<string> = new Set<string>(TASKS.flatMap((task) => metricsColumnsOf(task, true)));

/** The columns that measure how a model does (a sweep can choose on them): all but the epoch and the timings. */
export function scoreColumnsOf(task: Task): MetricColumn[] {
  return metricsColumnsOf(task, true).filter((column) => column !== 'epoch' && column !== 'epoch_seconds' && column !== 'samples_per_second');
}

/** Whether `name` is a column of metrics.csv (of any task). */
export const isMetricColumn = (name: string): name is MetricColumn => COLUMNS.has(name);

/** Whether larger is better in a column: as its metric says (accuracy, F1, AUC and R² up; errors down); losses and timings down. */
export function columnGoal(name: string): 'maximize' | 'minimize' {
  const metric = name.slice(name.indexOf('_') + 1);
  return Object.hasOwn(METRIC_KINDS, metric) ? METRIC_KINDS[metric as MetricName].goal : 'minimize';
}

/** A row's value in a column given by name (a sweep's metric): NaN where the row has none or the name is no column. */
export function metricValue(row: EpochMetrics, name: string): number {
  const value = isMetricColumn(name) ? row[name] : undefined;
  return typeof value === 'number' ? value : Number.NaN;
}

/** The test and validation columns a run's summary keeps from the row of its kept model (its `final`). */
export function finalMetrics(task: Task, row: EpochMetrics): Partial<Record<MetricColumn, number>> {
  const columns = metricsColumnsOf(task, true).filter((column) => column.startsWith('test_') || column.startsWith('validation_'));
  return Object.fromEntries(columns.filter((column) => typeof row[column] === 'number').map((column) => [column, row[column] as number]));
}

/** The column a run's best epoch is chosen by: the task's headline on the validation set (never the test set). */
export const selectionColumn = (task: Task): MetricColumn => TASK_COLUMNS[task].validation.find((column) => column === TASK_COLUMNS[task].headline.replace('test_', 'validation_'))!;

/**
 * The epoch with the best validation score (highest accuracy, lowest RMSE; the first of equals), never chosen
 * by a test column: undefined when the run has no validation data (it then has a final epoch only).
 */
export function bestRow(task: Task, rows: readonly EpochMetrics[], column: string = selectionColumn(task)): EpochMetrics | undefined {
  if (!column.startsWith('validation_')) throw new Error(`a best epoch is chosen on validation data, not ${column}`);
  const sign = columnGoal(column) === 'maximize' ? 1 : -1;
  // The untrained model (epoch 0) is no candidate, as in early stopping.
  const scored = rows.filter((row) => row.epoch > 0 && Number.isFinite(metricValue(row, column)));
  return scored.reduce<EpochMetrics | undefined>((top, row) => (!top || sign * (metricValue(row, column) - metricValue(top, column)) > 0 ? row : top), undefined);
}

/** A run's `best` in summary.json: the validation-best epoch, its validation score, and the test metrics at that epoch. */
export function bestSummary(task: Task, rows: readonly EpochMetrics[], chosenBy: string = selectionColumn(task)): ({ epoch: number } & Partial<Record<MetricColumn, number>>) | null {
  const best = bestRow(task, rows, chosenBy);
  if (!best) return null;
  const column = chosenBy as MetricColumn;
  return { epoch: best.epoch, [column]: metricValue(best, column), test_loss: best.test_loss, ...finalMetrics(task, best) };
}

/** `test accuracy 0.9624` or `test rmse 3.21, r2 0.874`: a row's test result in a few words. */
export function describeTestMetrics(row: EpochMetrics): string {
  if (typeof row.test_rmse === 'number') return `test rmse ${format(row.test_rmse)}, r2 ${format(row.test_r2)}`;
  return `test accuracy ${format(row.test_accuracy)}`;
}

const format = (value: number | undefined) => (typeof value === 'number' ? value.toFixed(4) : '-');
