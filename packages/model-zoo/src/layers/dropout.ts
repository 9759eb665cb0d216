import tfl = require('@tensorflow/tfjs-layers');
import { noWeights, type LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'rate'],
  properties: {
    type: { const: 'dropout', description: 'During training, zeroes a random fraction of the values (seeded by the spec\'s seed).' },
    rate: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'The fraction dropped.' },
  },
} as const;

export const dropout: LayerKind<typeof schema> = {
  schema,
  outputShape: (_, shape) => [...shape],
  ...noWeights,
  // At inference dropout is the identity.
  toOnnx: (_, __, input) => input,
  build: (layer, _, index) => [tfl.layers.dropout({ rate: layer.rate, name: `dropout_${index}` })],
  examples: [[{ type: 'dropout', rate: 0 }]],
};
