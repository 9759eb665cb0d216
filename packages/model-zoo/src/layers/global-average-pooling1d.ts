import tfl = require('@tensorflow/tfjs-layers');
import { noWeights, type LayerKind } from './kind.js';
import { globalPoolingOutputShape, globalPoolingSchema, globalPoolingToOnnx } from './global-pooling1d.js';

const schema = globalPoolingSchema('globalAveragePooling1d', 'The mean of each channel over every position of a sequence (padding included): a text\'s vectors become one vector.');

export const globalAveragePooling1d: LayerKind<typeof schema> = {
  schema,
  outputShape: globalPoolingOutputShape,
  ...noWeights,
  toOnnx: (_, graph, input) => globalPoolingToOnnx('ReduceMean', graph, input),
  build: (_, __, index) => [tfl.layers.globalAveragePooling1d({ name: `global_average_pooling_${index}` })],
  examples: [[{ type: 'embedding', dimension: 4 }, { type: 'globalAveragePooling1d' }]],
  examplesRead: 'tokens',
};
