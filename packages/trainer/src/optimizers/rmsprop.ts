import tf = require('@tensorflow/tfjs-core');
import { learningRateSchema, type OptimizerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { const: 'rmsprop', description: 'RMSProp (tf.train.rmsprop).' },
    learningRate: { ...learningRateSchema, default: 0.001 },
    decay: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the squared-gradient average.' },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Momentum on the scaled step.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1e-8, description: 'Added to the denominator.' },
  },
} as const;

export const rmsprop: OptimizerKind<typeof schema> = {
  schema,
  tfjs: (spec) => tf.train.rmsprop(spec.learningRate, spec.decay, spec.momentum, spec.epsilon),
};
