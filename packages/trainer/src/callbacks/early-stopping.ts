import { columnGoal, metricValue, TASKS, TASK_COLUMNS, type EpochMetrics } from '@specml/data';
import type { FromSchema } from 'json-schema-to-ts';

/** Every validation column of every task: early stopping never watches the test set. */
const WATCHABLE = [...new Set(TASKS.flatMap((task) => TASK_COLUMNS[task].validation))];

/** The `earlyStopping:` block: Keras' EarlyStopping(monitor, patience, min_delta, restore_best_weights). */
export const earlyStoppingSpecSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'Stops training when a validation metric has not improved for `patience` epochs (Keras\' EarlyStopping), and with restoreBest keeps the best epoch\'s weights: the saved model, its ONNX export and predict use them, and summary.json records best.epoch and stoppedEpoch. Needs validation data (data.validationSplit).',
  properties: {
    metric: { enum: WATCHABLE, default: 'validation_loss', description: 'The metrics.csv column watched (a validation column of the spec\'s task): losses and errors should fall, accuracy and r2 rise.' },
    patience: { type: 'integer', minimum: 1, maximum: 10000, default: 5, description: 'Epochs without improvement before training stops.' },
    minDelta: { type: 'number', minimum: 0, default: 0, description: 'The least change that counts as an improvement.' },
    restoreBest: { type: 'boolean', default: true, description: 'Keep the weights of the best epoch (not the last one) as the model.' },
  },
} as const;

export type EarlyStoppingSpec = FromSchema<typeof earlyStoppingSpecSchema>;

/**
 * Keras' semantics, as a decision per epoch row: the first trained epoch sets the best; an epoch improves on
 * it when it beats it by more than minDelta; after `patience` epochs without one, training stops. The state
 * is a function of the rows alone, so a resumed run replays its rows and decides exactly as one never stopped.
 */
export class EarlyStopping {
  private best = Number.NaN;
  private bestEpoch: number | undefined;
  private waited = 0;
  private readonly sign: 1 | -1;

  constructor(private readonly spec: Required<EarlyStoppingSpec>) {
    this.sign = columnGoal(spec.metric) === 'maximize' ? 1 : -1;
  }

  /** Takes one epoch's row: whether it is the new best, and whether training should stop after it. */
  observe(row: EpochMetrics): { improved: boolean; stop: boolean } {
    if (row.epoch === 0) return { improved: false, stop: false }; // the untrained model is no candidate
    const value = metricValue(row, this.spec.metric);
    const improved = Number.isFinite(value) && (this.bestEpoch === undefined || this.sign * (value - this.best) > this.spec.minDelta);
    if (improved) {
      this.best = value;
      this.bestEpoch = row.epoch;
      this.waited = 0;
    } else this.waited++;
    return { improved, stop: this.waited >= this.spec.patience };
  }

  /** The epoch whose weights restoreBest keeps, once one was trained. */
  get bestEpochSoFar(): number | undefined {
    return this.bestEpoch;
  }
}
