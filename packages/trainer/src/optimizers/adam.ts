import tf = require('@tensorflow/tfjs-core');
import { learningRateSchema, type OptimizerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { const: 'adam', description: 'Adam (torch.optim.Adam, tf.train.adam).' },
    learningRate: { ...learningRateSchema, default: 0.001 },
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the first-moment estimate.' },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'Decay of the second-moment estimate.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1e-8, description: 'Added to the denominator (PyTorch\'s default).' },
  },
} as const;

export const adam: OptimizerKind<typeof schema> = {
  schema,
  tfjs: (spec) => tf.train.adam(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon),
};
