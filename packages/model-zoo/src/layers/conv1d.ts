import { convolutionAxis, convolutionSchema, convolutionTfjsLayers } from './convolution.js';
import { isSequence, kernelAndBias, needsSequence, type LayerKind } from './kind.js';
import { activationToOnnx } from '../activations/index.js';

const schema = convolutionSchema(
  'conv1d',
  '1-D convolution along a sequence (a text\'s token vectors): each filter reads kernelSize neighbouring tokens, as in Kim\'s CNN for sentence classification.',
  'Number of neighbouring positions each filter reads.',
  'sequence length',
);

export const conv1d: LayerKind<typeof schema> = {
  schema,
  outputShape: (layer, shape) => {
    if (!isSequence(shape)) return needsSequence(layer.type, shape);
    const { out } = convolutionAxis(layer, shape[0]);
    return out < 1 ? `its input has ${shape[0]} positions, fewer than the kernelSize of ${layer.kernelSize} (use padding: same, a smaller kernelSize or a larger maxLength)` : [out, layer.filters];
  },
  weightShapes: (layer, shape) => [[layer.kernelSize, shape[1], layer.filters], [layer.filters]],
  initialWeights: kernelAndBias,
  build: (layer, _, index) => convolutionTfjsLayers('conv1d', layer, index),
  toOnnx: (layer, graph, input, [kernel, bias]) => {
    const channels = input.shape[1];
    const { out, before, after } = convolutionAxis(layer, input.shape[0]);
    // tfjs' kernel [kernelSize, in, filters] as ONNX's [filters, in, kernelSize]
    const onnxKernel = new Float32Array(kernel.length);
    for (let k = 0; k < layer.kernelSize; k++)
      for (let c = 0; c < channels; c++)
        for (let f = 0; f < layer.filters; f++) onnxKernel[(f * channels + c) * layer.kernelSize + k] = kernel[(k * channels + c) * layer.filters + f];
    const weights = graph.initializer([layer.filters, channels, layer.kernelSize], onnxKernel);
    const convolved = graph.node('Conv', [input.name, weights, graph.initializer([layer.filters], bias, 'bias')], {
      kernel_shape: [layer.kernelSize],
      strides: [layer.strides],
      pads: [before, after],
    });
    return activationToOnnx(layer.activation, graph, { name: convolved, shape: [out, layer.filters] });
  },
  multiplyAdds: (layer, input, output) => output[0] * layer.filters * layer.kernelSize * input[1],
  examples: [
    [{ type: 'embedding', dimension: 3 }, { type: 'conv1d', filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }],
    [
      { type: 'embedding', dimension: 2 },
      { type: 'conv1d', filters: 3, kernelSize: 2, strides: 1, padding: 'valid', activation: 'leakyRelu' },
      { type: 'conv1d', filters: 2, kernelSize: 1, strides: 1, padding: 'same', activation: 'linear' },
    ],
  ],
  examplesRead: 'tokens',
};
