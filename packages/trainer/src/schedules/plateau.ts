import { columnGoal, metricValue, TASKS, TASK_COLUMNS } from '@specml/data';
import type { ScheduleKind } from './kind.js';

/** What a plateau schedule may watch: a validation column of any task, or the training loss (never a test column). */
const PLATEAU_COLUMNS = ['train_loss', ...new Set(TASKS.flatMap((task) => TASK_COLUMNS[task].validation))];

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'plateau', description: 'Multiplies the rate by `factor` when `metric` has not improved for `patience` epochs (Keras\' ReduceLROnPlateau).' },
    metric: { enum: PLATEAU_COLUMNS, default: 'validation_loss', description: 'The metrics.csv column watched: a validation column of the spec\'s task, or train_loss.' },
    factor: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'The multiplier at each reduction.' },
    patience: { type: 'integer', minimum: 1, maximum: 10000, default: 3, description: 'Epochs without improvement before the rate is reduced.' },
    minDelta: { type: 'number', minimum: 0, default: 0.0001, description: 'The least change that counts as an improvement.' },
    minLearningRate: { type: 'number', minimum: 0, default: 0, description: 'The rate is never reduced below this.' },
  },
} as const;

/**
 * Keras' ReduceLROnPlateau as a function of the epochs trained so far (so a resumed run gets the same rate):
 * after `patience` epochs without an improvement larger than minDelta, the rate is multiplied by `factor`
 * (never below minLearningRate) and the count starts again.
 */
export const plateau: ScheduleKind<typeof schema> = {
  schema,
  rateAt: ({ metric, factor, patience, minDelta, minLearningRate }, { base, epoch, earlier }) => {
    const sign = columnGoal(metric) === 'maximize' ? 1 : -1;
    let rate = base;
    let best = Number.NaN;
    let waited = 0;
    for (const row of earlier.filter((row) => row.epoch > 0 && row.epoch < epoch)) {
      const value = metricValue(row, metric);
      if (Number.isFinite(value) && (Number.isNaN(best) || sign * (value - best) > minDelta)) {
        best = value;
        waited = 0;
      } else if (++waited >= patience) {
        rate = Math.max(rate * factor, minLearningRate);
        waited = 0;
      }
    }
    return rate;
  },
};
