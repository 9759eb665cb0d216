import tfl = require('@tensorflow/tfjs-layers');
import { isVector, noWeights, type LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: { const: 'flatten', description: 'Flattens an image- or sequence-shaped output into a vector (added automatically before a dense layer).' } },
} as const;

export const flatten: LayerKind<typeof schema> = {
  schema,
  outputShape: (_, shape) => [shape.reduce((a, b) => a * b, 1)],
  ...noWeights,
  toOnnx: (_, graph, input) => graph.vector(input),
  build: (_, shape, index) => (!isVector(shape) ? [tfl.layers.flatten({ name: `flatten_${index}` })] : []),
  examples: [[{ type: 'flatten' }]],
};
