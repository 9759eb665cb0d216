import tf = require('@tensorflow/tfjs-core');
import { learningRateSchema, type OptimizerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { const: 'momentum', description: 'SGD with momentum: v = μ·v + g; w -= lr·v.' },
    learningRate: { ...learningRateSchema, default: 0.01 },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'μ, the decay of the velocity.' },
    nesterov: { type: 'boolean', default: false, description: 'Use Nesterov momentum: w -= lr·(g + μ·v).' },
  },
} as const;

export const momentum: OptimizerKind<typeof schema> = {
  schema,
  tfjs: (spec) => tf.train.momentum(spec.learningRate, spec.momentum, spec.nesterov),
};
