// One row of a run's metrics.csv: the one type the trainer produces, the CSV writer and reader handle, and
// sweeps, compare and the dashboard consume. A leaf module, so that every package can use it.

/** What a model predicts: a class (softmax over the classes) or a number (one linear output). */
export type Task = 'classification' | 'regression';
export const TASKS: readonly Task[] = ['classification', 'regression'];

/** The columns of metrics.csv for each task, and the ones added at the end when there is a validation set. */
export const TASK_COLUMNS = {
  classification: {
    columns: ['epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'test_f1', 'test_auc', 'epoch_seconds', 'samples_per_second'],
    validation: ['validation_loss', 'validation_accuracy', 'validation_f1', 'validation_auc'],
    /** The column a run's best epoch and a sweep's default choice go by. */
    headline: 'test_accuracy',
    /** The test column shown beside it (tables, charts, comparisons). */
    second: 'test_loss',
  },
  regression: {
    columns: ['epoch', 'train_loss', 'test_loss', 'test_mae', 'test_rmse', 'test_r2', 'epoch_seconds', 'samples_per_second'],
    validation: ['validation_loss', 'validation_mae', 'validation_rmse', 'validation_r2'],
    headline: 'test_rmse',
    second: 'test_r2',
  },
} as const;

export const METRICS_COLUMNS = TASK_COLUMNS.classification.columns;
export const VALIDATION_COLUMNS = TASK_COLUMNS.classification.validation;

export type MetricColumn =
  | (typeof TASK_COLUMNS)['classification' | 'regression']['columns'][number]
  | (typeof TASK_COLUMNS)['classification' | 'regression']['validation'][number];

/** One epoch's row. Epoch 0 is the untrained model: its train and timing fields are absent. */
export interface EpochMetrics {
  epoch: number;
  train_loss?: number;
  train_accuracy?: number;
  test_loss: number;
  test_accuracy?: number;
  /** Classification: macro F1 of the most probable classes, and ROC AUC (one-vs-rest, macro, for more than two classes). */
  test_f1?: number;
  test_auc?: number;
  /** Regression: mean absolute error, root mean squared error, coefficient of determination, in the target's units. */
  test_mae?: number;
  test_rmse?: number;
  test_r2?: number;
  epoch_seconds?: number;
  samples_per_second?: number;
  validation_loss?: number;
  validation_accuracy?: number;
  validation_f1?: number;
  validation_auc?: number;
  validation_mae?: number;
  validation_rmse?: number;
  validation_r2?: number;
}

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

/** Whether larger is better in a column: accuracy, F1, AUC and r2 are maximised, losses and errors minimised. */
export const columnGoal = (name: string): 'maximize' | 'minimize' => (/_(accuracy|f1|auc|r2)$/.test(name) ? 'maximize' : 'minimize');

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
