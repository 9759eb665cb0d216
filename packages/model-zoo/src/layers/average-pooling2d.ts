import tfl = require('@tensorflow/tfjs-layers');
import { noWeights, type LayerKind } from './kind.js';
import { poolingOutputShape, poolingSchema, poolingToOnnx } from './pooling.js';

const schema = poolingSchema('averagePooling2d', 'Mean over square windows of an image-shaped input.');

export const averagePooling2d: LayerKind<typeof schema> = {
  schema,
  outputShape: poolingOutputShape,
  ...noWeights,
  toOnnx: (layer, graph, input) => poolingToOnnx('AveragePool', layer, graph, input),
  build: (layer, _, index) => [tfl.layers.averagePooling2d({ poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, name: `average_pooling_${index}` })],
  examples: [[{ type: 'averagePooling2d', poolSize: 2 }], [{ type: 'averagePooling2d', poolSize: 3, strides: 1 }], [{ type: 'averagePooling2d', poolSize: 2, strides: 3 }]],
};
