import tfl = require('@tensorflow/tfjs-layers');
import { noWeights, type LayerKind } from './kind.js';
import { globalPoolingOutputShape, globalPoolingSchema, globalPoolingToOnnx } from './global-pooling1d.js';

const schema = globalPoolingSchema('globalMaxPooling1d', 'The largest value of each channel over every position of a sequence (padding included).');

export const globalMaxPooling1d: LayerKind<typeof schema> = {
  schema,
  outputShape: globalPoolingOutputShape,
  ...noWeights,
  toOnnx: (_, graph, input) => globalPoolingToOnnx('ReduceMax', graph, input),
  build: (_, __, index) => [tfl.layers.globalMaxPooling1d({ name: `global_max_pooling_${index}` })],
  examples: [
    [{ type: 'embedding', dimension: 4 }, { type: 'globalMaxPooling1d' }],
    [{ type: 'embedding', dimension: 3 }, { type: 'conv1d', filters: 4, kernelSize: 2, strides: 1, padding: 'valid', activation: 'relu' }, { type: 'globalMaxPooling1d' }],
  ],
  examplesRead: 'tokens',
};
