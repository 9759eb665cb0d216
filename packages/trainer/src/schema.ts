import type { FromSchema } from 'json-schema-to-ts';
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

/** The regression losses, each in the native engine (native/losses.cc) under the same name. */
export const REGRESSION_LOSSES = ['meanSquaredError', 'meanAbsoluteError', 'huber'] as const;
export type RegressionLoss = (typeof REGRESSION_LOSSES)[number];

export const lossSpecSchema = {
  enum: REGRESSION_LOSSES,
  description: 'task: regression only: meanSquaredError (the default), meanAbsoluteError, or huber (squared within one standard deviation of the target, absolute beyond). Trained on the standardised target, reported in the target\'s units.',
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
  ],
} as const;

export type ScheduleSpec = FromSchema<typeof scheduleSpecSchema>;

/** The learning rate of epoch `epoch` (1-based) of `epochs`. */
export function learningRateAt(schedule: ScheduleSpec | undefined, base: number, epoch: number, epochs: number): number {
  if (!schedule) return base;
  switch (schedule.type) {
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
