import * as tfl from '@tensorflow/tfjs-layers';
import { isImage, needsImage, noWeights, type LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'averagePooling2d', description: 'Mean over square windows of an image-shaped input.' },
    poolSize: { type: 'integer', minimum: 1, maximum: 8, default: 2, description: 'Side of the window.' },
    strides: { type: 'integer', minimum: 1, maximum: 8, description: 'Step of the window. Default: poolSize.' },
  },
} as const;

export const averagePooling2d: LayerKind<typeof schema> = {
  schema,
  outputShape: (layer, shape) => {
    if (!isImage(shape)) return needsImage(layer.type);
    const strides = layer.strides ?? layer.poolSize;
    const side = (size: number) => Math.floor((size - layer.poolSize) / strides) + 1;
    if (side(shape[0]) < 1 || side(shape[1]) < 1) return `its input is ${shape[0]}×${shape[1]}, smaller than the ${layer.poolSize}×${layer.poolSize} window`;
    return [side(shape[0]), side(shape[1]), shape[2]];
  },
  ...noWeights,
  build: (layer, _, index) => [tfl.layers.averagePooling2d({ poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, name: `average_pooling_${index}` })],
  examples: [[{ type: 'averagePooling2d', poolSize: 2 }], [{ type: 'averagePooling2d', poolSize: 3, strides: 1 }], [{ type: 'averagePooling2d', poolSize: 2, strides: 3 }]],
};
