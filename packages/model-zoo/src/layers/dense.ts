import tfl = require('@tensorflow/tfjs-layers');
import { activationLayers, activationToOnnx, fusedActivation } from '../activations/index.js';
import { activationSchema, isVector, kernelAndBias, l2Schema, type LayerKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['units'],
  properties: {
    type: { const: 'dense', description: 'Fully connected on the previous output (flattened first when it is an image).' },
    units: { type: 'integer', minimum: 1, maximum: 65536, description: 'Number of output units.' },
    activation: activationSchema,
    l2: l2Schema,
  },
} as const;

export const dense: LayerKind<typeof schema> = {
  schema,
  outputShape: (layer) => [layer.units],
  weightShapes: (layer, shape) => [[shape.reduce((a, b) => a * b, 1), layer.units], [layer.units]],
  initialWeights: kernelAndBias,
  build: (layer, shape, index) => [
    ...(!isVector(shape) ? [tfl.layers.flatten({ name: `flatten_before_${index}` })] : []),
    tfl.layers.dense({ units: layer.units, activation: fusedActivation(layer.activation), kernelInitializer: 'zeros', name: `dense_${index}` }),
    ...activationLayers(layer.activation, index),
  ],
  toOnnx: (layer, graph, input, [kernel, bias]) => {
    const x = graph.vector(input);
    const product = graph.node('Gemm', [x.name, graph.initializer([x.shape[0], layer.units], kernel), graph.initializer([layer.units], bias, 'bias')]);
    return activationToOnnx(layer.activation, graph, { name: product, shape: [layer.units] });
  },
  multiplyAdds: (layer, input) => input.reduce((a, b) => a * b, 1) * layer.units,
  examples: [[{ type: 'flatten' }, { type: 'dense', units: 5, activation: 'tanh' }]],
};
