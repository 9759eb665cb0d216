import tfl = require('@tensorflow/tfjs-layers');
import type { LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'batchNormalization', description: 'Normalises each channel by batch statistics while training and by running averages after.' },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.99, description: 'Decay of the running averages.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.001, description: 'Added to the variance.' },
  },
} as const;

export const batchNormalization: LayerKind<typeof schema> = {
  schema,
  outputShape: (_, shape) => [...shape],
  // γ, β, running mean, running variance per channel (the last axis)
  weightShapes: (_, shape) => Array.from({ length: 4 }, () => [shape[shape.length - 1]]),
  initialWeights: (shapes) => {
    const [channels] = shapes[0];
    return [new Float32Array(channels).fill(1), new Float32Array(channels), new Float32Array(channels), new Float32Array(channels).fill(1)];
  },
  // Inference form: the moving mean and variance. On an image (NCHW) per channel, on a vector per feature.
  toOnnx: (layer, graph, input, [gamma, beta, mean, variance]) => {
    const channels = [gamma.length];
    const inputs = [input.name, ...[gamma, beta, mean, variance].map((values) => graph.initializer(channels, values, 'batch_norm'))];
    return { name: graph.node('BatchNormalization', inputs, { epsilon: layer.epsilon }, ['epsilon']), shape: input.shape };
  },
  build: (layer, _, index) => [tfl.layers.batchNormalization({ momentum: layer.momentum, epsilon: layer.epsilon, name: `batch_norm_${index}` })],
  examples: [[{ type: 'batchNormalization', momentum: 0.9, epsilon: 0.001 }]],
};
