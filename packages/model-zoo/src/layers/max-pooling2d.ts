import tfl = require('@tensorflow/tfjs-layers');
import { noWeights, type LayerKind } from './kind.js';
import { poolingOutputShape, poolingSchema, poolingToOnnx } from './pooling.js';

const schema = poolingSchema('maxPooling2d', 'Maximum over square windows of an image-shaped input.');

export const maxPooling2d: LayerKind<typeof schema> = {
  schema,
  outputShape: poolingOutputShape,
  ...noWeights,
  toOnnx: (layer, graph, input) => poolingToOnnx('MaxPool', layer, graph, input),
  build: (layer, _, index) => [tfl.layers.maxPooling2d({ poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, name: `max_pooling_${index}` })],
  examples: [[{ type: 'maxPooling2d', poolSize: 2 }], [{ type: 'maxPooling2d', poolSize: 3, strides: 1 }]],
};
