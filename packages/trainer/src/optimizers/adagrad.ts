import tf = require('@tensorflow/tfjs-core');
import { learningRateSchema, type OptimizerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { const: 'adagrad', description: 'Adagrad (tf.train.adagrad): per-weight steps shrinking with the summed squared gradients.' },
    learningRate: { ...learningRateSchema, default: 0.01 },
    initialAccumulatorValue: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.1, description: 'Starting value of the squared-gradient sums.' },
  },
} as const;

export const adagrad: OptimizerKind<typeof schema> = {
  schema,
  tfjs: (spec) => tf.train.adagrad(spec.learningRate, spec.initialAccumulatorValue),
};
