import { REGRESSION_LOSS_DESCRIPTIONS, REGRESSION_LOSSES, type RegressionLoss } from './losses/index.js';
import type { FromSchema } from 'json-schema-to-ts';
import type { EpochMetrics } from '@specml/data';
import { optimizerVariants } from './optimizers/index.js';
import { SCHEDULE_KINDS, scheduleVariants } from './schedules/index.js';
import type { ScheduleMoment } from './schedules/kind.js';

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
  oneOf: scheduleVariants,
} as const;

export type ScheduleSpec = FromSchema<typeof scheduleSpecSchema>;

/** The learning rate of epoch `epoch` (1-based) of `epochs`, given the rows of the epochs before it (a plateau's). */
export function learningRateAt(schedule: ScheduleSpec | undefined, base: number, epoch: number, epochs: number, earlier: readonly EpochMetrics[] = []): number {
  if (!schedule) return base;
  return (SCHEDULE_KINDS[schedule.type] as { rateAt(schedule: ScheduleSpec, moment: ScheduleMoment): number }).rateAt(schedule, { base, epoch, epochs, earlier });
}
