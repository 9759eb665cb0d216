import { registryOf } from '../registry.js';
import { accuracy } from './accuracy.js';
import { auc } from './auc.js';
import { f1 } from './f1.js';
import type { HeldOutPredictions, MetricKind, Task } from './kind.js';
import { mae } from './mae.js';
import { r2 } from './r2.js';
import { rmse } from './rmse.js';

/**
 * Every score of a model on a held-out set, in metrics.csv's order: the only list of them (the columns, their
 * goals, the sweep's and early stopping's metric names derive from it). Adding one is a module beside this
 * file and an entry here.
 */
const METRICS = registryOf([accuracy, f1, auc, mae, rmse, r2]);

export const METRIC_KINDS = METRICS.byName;
export const METRIC_NAMES = METRICS.names;
export type MetricName = (typeof METRIC_NAMES)[number];
/** The metrics of one task, by name. */
export type TaskMetricName<T extends Task> = Extract<(typeof METRIC_KINDS)[MetricName], { readonly task: T }>['schema']['const'];

/** The metrics of a task, in the registry's order. */
export function metricNamesOf<T extends Task>(task: T): TaskMetricName<T>[] {
  return METRIC_NAMES.filter((name) => METRIC_KINDS[name].task === task) as TaskMetricName<T>[];
}

/** A held-out set's columns (test_<metric> or validation_<metric>) for every metric of the task. */
export function heldOutScores(which: 'test' | 'validation', task: Task, set: HeldOutPredictions): Record<string, number> {
  return Object.fromEntries(metricNamesOf(task).map((name) => [`${which}_${name}`, (METRIC_KINDS[name] as MetricKind<string>).score(set)]));
}
