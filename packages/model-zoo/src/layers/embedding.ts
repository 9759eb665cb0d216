import tfl = require('@tensorflow/tfjs-layers');
import { uniformFloats } from '@specml/data';
import type { LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'dimension'],
  properties: {
    type: {
      const: 'embedding',
      description: 'A trainable vector per vocabulary token: turns a text column read as a sequence (its token ids) into a sequence of vectors. Must be the first layer.',
    },
    dimension: { type: 'integer', minimum: 1, maximum: 1024, description: 'Length of each token\'s vector.' },
  },
} as const;

/** Keras' and tfjs' default for embeddings (uniform in ±0.05): a vocabulary's fan-in says nothing about a lookup. */
const EMBEDDING_BOUND = 0.05;

export const notTokens = (type: string) =>
  `an ${type} layer reads token ids, so it must be the first layer and the table's text column must be read as a sequence (data.columns.<name>: { type: text, encoding: sequence })`;

export const embedding: LayerKind<typeof schema> = {
  schema,
  outputShape: (layer, shape, tokens) => (tokens === undefined ? notTokens(layer.type) : [shape[0], layer.dimension]),
  weightShapes: (layer, _, tokens) => (tokens === undefined ? [] : [[tokens, layer.dimension]]),
  initialWeights: ([shape], _, rng) => [uniformFloats(shape[0] * shape[1], EMBEDDING_BOUND, rng)],
  build: (layer, shape, index, tokens) => [
    tfl.layers.embedding({ inputDim: tokens!, outputDim: layer.dimension, inputLength: shape[0], embeddingsInitializer: 'zeros', name: `embedding_${index}` }),
  ],
  // Token ids arrive as floats (the features every table model takes); Gather wants integers. The graph
  // keeps sequences channels first ([batch, dimension, positions]), as it keeps images.
  toOnnx: (layer, graph, input, [table]) => {
    const ids = graph.node('Cast', [input.name], { to: 7 }); // int64
    const vectors = graph.node('Gather', [graph.initializer([table.length / layer.dimension, layer.dimension], table, 'embedding'), ids], { axis: 0 });
    return { name: graph.node('Transpose', [vectors], { perm: [0, 2, 1] }), shape: [input.shape[0], layer.dimension] };
  },
  examples: [[{ type: 'embedding', dimension: 3 }]],
  examplesRead: 'tokens',
};
