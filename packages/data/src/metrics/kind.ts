/** What a model predicts: a class (softmax over the classes) or a number (one linear output). */
export type Task = 'classification' | 'regression';

/**
 * A held-out set's truth and the model's predictions on it. A classifier's: class ids and probabilities
 * (count × classes, row by row); a regression's: the target and the predictions, both in the target's units.
 */
export interface HeldOutPredictions {
  readonly truth: ArrayLike<number>;
  readonly predictions: Float32Array;
  /** A classifier's number of classes (1 for a regression). */
  readonly classes: number;
}

/**
 * Everything specml knows about one score of a model on a held-out set: its name (the column suffix in
 * metrics.csv: test_<name>, validation_<name>), what it is, its task, whether more is better, and how it is
 * computed. One module per metric under metrics/, one line in metrics/index.ts: the columns, the sweep's and
 * early stopping's choices, the goals and the summaries follow.
 */
export interface MetricKind<Name extends string, T extends Task = Task> {
  readonly schema: { readonly const: Name; readonly description: string };
  readonly task: T;
  readonly goal: 'maximize' | 'minimize';
  score(set: HeldOutPredictions): number;
  /**
   * The same score in scikit-learn, as a Python expression of y (the truth), p (the predictions: probabilities
   * n × k for a classifier, numbers for a regression) and k (the classes): the reference every metric's test
   * compares with.
   */
  readonly sklearn: string;
}

/** A metric kind, its name and task kept as literal types. */
export const metricKind = <const Name extends string, const T extends Task>(kind: MetricKind<Name, T>): MetricKind<Name, T> => kind;

/** The sum over a regression's rows of f(prediction − truth). */
export function sumOfErrors({ truth, predictions }: HeldOutPredictions, f: (error: number) => number): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += f(predictions[i] - truth[i]);
  return sum;
}
