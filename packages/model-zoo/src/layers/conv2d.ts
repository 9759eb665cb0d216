import * as tfl from '@tensorflow/tfjs-layers';
import { activationLayers, fusedActivation } from './activation-layers.js';
import { activationSchema, isImage, kernelAndBias, l2Schema, needsImage, type LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'filters'],
  properties: {
    type: { const: 'conv2d', description: '2-D convolution over an image-shaped input.' },
    filters: { type: 'integer', minimum: 1, maximum: 4096, description: 'Number of output channels.' },
    kernelSize: { type: 'integer', minimum: 1, maximum: 15, default: 3, description: 'Side of the square kernel.' },
    strides: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Step of the kernel.' },
    padding: { enum: ['valid', 'same'], default: 'valid', description: 'same keeps the image size (at stride 1); valid does not pad.' },
    activation: activationSchema,
    l2: l2Schema,
  },
} as const;

export const conv2d: LayerKind<typeof schema> = {
  schema,
  outputShape: (layer, shape) => {
    if (!isImage(shape)) return needsImage(layer.type);
    const side = (size: number) => (layer.padding === 'same' ? Math.ceil(size / layer.strides) : Math.floor((size - layer.kernelSize) / layer.strides) + 1);
    const [height, width] = [side(shape[0]), side(shape[1])];
    if (height < 1 || width < 1) {
      return `its input is ${shape[0]}×${shape[1]}, smaller than the ${layer.kernelSize}×${layer.kernelSize} kernel (use padding: same or a smaller kernelSize)`;
    }
    return [height, width, layer.filters];
  },
  weightShapes: (layer, shape) => [[layer.kernelSize, layer.kernelSize, shape[2], layer.filters], [layer.filters]],
  initialWeights: kernelAndBias,
  build: (layer, _, index) => [
    tfl.layers.conv2d({
      filters: layer.filters,
      kernelSize: layer.kernelSize,
      strides: layer.strides,
      padding: layer.padding,
      activation: fusedActivation(layer.activation),
      kernelInitializer: 'zeros',
      name: `conv2d_${index}`,
    }),
    ...activationLayers(layer.activation, index),
  ],
  multiplyAdds: (layer, input, output) => output[0] * output[1] * layer.filters * layer.kernelSize * layer.kernelSize * input[2],
  examples: [[{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }]],
};
