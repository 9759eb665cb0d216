// One row of a run's metrics.csv: the one type the trainer produces, the CSV writer and reader handle, and
// sweeps, compare and the dashboard consume. A leaf module, so that every package can use it.

export const METRICS_COLUMNS = ['epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'epoch_seconds', 'samples_per_second'] as const;

/** Added at the end when the spec holds out a validation set. */
export const VALIDATION_COLUMNS = ['validation_loss', 'validation_accuracy'] as const;

export type MetricColumn = (typeof METRICS_COLUMNS)[number] | (typeof VALIDATION_COLUMNS)[number];

/** One epoch's row. Epoch 0 is the untrained model: its train and timing fields are absent. */
export interface EpochMetrics {
  epoch: number;
  train_loss?: number;
  train_accuracy?: number;
  test_loss: number;
  test_accuracy: number;
  epoch_seconds?: number;
  samples_per_second?: number;
  validation_loss?: number;
  validation_accuracy?: number;
}

const COLUMNS: ReadonlySet<string> = new Set<string>([...METRICS_COLUMNS, ...VALIDATION_COLUMNS]);

/** Whether `name` is a column of metrics.csv. */
export const isMetricColumn = (name: string): name is MetricColumn => COLUMNS.has(name);

/** A row's value in a column given by name (a sweep's metric): NaN where the row has none or the name is no column. */
export function metricValue(row: EpochMetrics, name: string): number {
  const value = isMetricColumn(name) ? row[name] : undefined;
  return typeof value === 'number' ? value : Number.NaN;
}
