import tf = require('@tensorflow/tfjs-core');
import { learningRateSchema, type OptimizerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { const: 'sgd', description: 'Plain stochastic gradient descent.' },
    learningRate: { ...learningRateSchema, default: 0.01 },
  },
} as const;

export const sgd: OptimizerKind<typeof schema> = {
  schema,
  tfjs: (spec) => tf.train.sgd(spec.learningRate),
};
