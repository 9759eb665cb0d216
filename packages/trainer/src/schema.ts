import { REGRESSION_LOSS_DESCRIPTIONS, REGRESSION_LOSSES, type RegressionLoss } from './losses/index.js';
import type { FromSchema } from 'json-schema-to-ts';
import { columnGoal, metricValue, TASKS, TASK_COLUMNS, type EpochMetrics } from '@specml/data';

/** What a plateau schedule may watch: a validation column of any task, or the training loss (never a test column). */
const PLATEAU_COLUMNS = ['train_loss', ...new Set(TASKS.flatMap((task) => TASK_COLUMNS[task].validation))];
import { optimizerVariants } from './optimizers/index.js';

/** The `optimizer:` block. `name` picks the variant; each has its own parameters and defaults. */
export const optimizerSpecSchema = {
  type: 'object',
  description: 'How weights are updated from gradients. Pick one by `name`; the other keys are its parameters.',
  required: ['name'],
  discriminator: { propertyName: 'name' },
  oneOf: optimizerVariants,
  default: { name: 'adam' },
} as const;

export type OptimizerSpec = FromSchema<typeof optimizerSpecSchema>;

export const BACKENDS = ['auto', 'native', 'fused', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** What the model predicts: a class, or a number (regression). */
export const taskSpecSchema = {
  enum: ['classification', 'regression'],
  default: 'classification',
  description: 'classification: the last layer is dense with softmax, one unit per class, trained on cross-entropy. regression: predict a number (a csv dataset\'s numeric target): the last layer is dense with units: 1 and activation: linear, trained on `loss`; the target is standardised for training and every metric is in its own units.',
} as const;

export { REGRESSION_LOSSES, type RegressionLoss };

export const lossSpecSchema = {
  enum: REGRESSION_LOSSES,
  description: `task: regression only: ${REGRESSION_LOSS_DESCRIPTIONS.join('; ')}. Trained on the standardised target, reported in the target's units.`,
} as const;

export const backendSpecSchema = {
  enum: BACKENDS,
  default: 'auto',
  description:
    'Where training runs. native: the compiled C++ engine (built at npm install; every layer, activation and optimizer). fused: the old name of native. tensorflow: @tensorflow/tfjs-node, where it is installed. wasm: @tensorflow/tfjs-backend-wasm. cpu: the pure-JavaScript tfjs backend. auto: native where it is built, else the first of tensorflow, wasm, cpu that loads.',
} as const;

/** The optional `schedule:` block: the learning rate per epoch, starting from the optimizer's. */
export const scheduleSpecSchema = {
  type: 'object',
  description: 'Changes the learning rate from epoch to epoch, starting from optimizer.learningRate in epoch 1.',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { const: 'step', description: 'Multiplies the rate by `factor` every `everyEpochs` epochs.' },
        everyEpochs: { type: 'integer', minimum: 1, maximum: 10000, default: 1, description: 'Epochs between two steps.' },
        factor: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'The multiplier at each step.' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { const: 'exponential', description: 'Multiplies the rate by `factor` after every epoch.' },
        factor: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.9, description: 'The multiplier per epoch.' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { const: 'cosine', description: 'Follows half a cosine from the rate down to `minLearningRate` in the last epoch.' },
        minLearningRate: { type: 'number', minimum: 0, default: 0, description: 'The rate the curve ends at.' },
      },
    },
    {
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
    },
  ],
} as const;

export type ScheduleSpec = FromSchema<typeof scheduleSpecSchema>;

/** The learning rate of epoch `epoch` (1-based) of `epochs`. */
export function learningRateAt(schedule: ScheduleSpec | undefined, base: number, epoch: number, epochs: number, rows: readonly EpochMetrics[] = []): number {
  if (!schedule) return base;
  switch (schedule.type) {
    case 'plateau':
      return plateauLearningRate(schedule as Required<typeof schedule>, base, rows.filter((row) => row.epoch > 0 && row.epoch < epoch));
    case 'step':
      return base * schedule.factor ** Math.floor((epoch - 1) / schedule.everyEpochs);
    case 'exponential':
      return base * schedule.factor ** (epoch - 1);
    case 'cosine': {
      const progress = epochs > 1 ? (epoch - 1) / (epochs - 1) : 0;
      return schedule.minLearningRate + ((base - schedule.minLearningRate) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/**
 * Keras' ReduceLROnPlateau as a function of the epochs trained so far (so a resumed run gets the same rate):
 * after `patience` epochs without an improvement larger than minDelta, the rate is multiplied by `factor`
 * (never below minLearningRate) and the count starts again.
 */
function plateauLearningRate(schedule: { metric: string; factor: number; patience: number; minDelta: number; minLearningRate: number }, base: number, rows: readonly EpochMetrics[]): number {
  const sign = columnGoal(schedule.metric) === 'maximize' ? 1 : -1;
  let rate = base;
  let best = Number.NaN;
  let waited = 0;
  for (const row of rows) {
    const value = metricValue(row, schedule.metric);
    if (Number.isFinite(value) && (Number.isNaN(best) || sign * (value - best) > schedule.minDelta)) {
      best = value;
      waited = 0;
    } else if (++waited >= schedule.patience) {
      rate = Math.max(rate * schedule.factor, schedule.minLearningRate);
      waited = 0;
    }
  }
  return rate;
}
