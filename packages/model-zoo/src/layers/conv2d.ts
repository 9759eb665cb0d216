import { onnxConvKernel } from '../onnx-graph.js';
import { convolutionAxis, convolutionSchema, convolutionTfjsLayers } from './convolution.js';
import { isImage, kernelAndBias, needsImage, type LayerKind } from './kind.js';
import { activationToOnnx } from '../activations/index.js';

const schema = convolutionSchema('conv2d', '2-D convolution over an image-shaped input.', 'Side of the square kernel.', 'image size');

export const conv2d: LayerKind<typeof schema> = {
  schema,
  outputShape: (layer, shape) => {
    if (!isImage(shape)) return needsImage(layer.type, shape);
    const [height, width] = [convolutionAxis(layer, shape[0]).out, convolutionAxis(layer, shape[1]).out];
    if (height < 1 || width < 1) {
      return `its input is ${shape[0]}×${shape[1]}, smaller than the ${layer.kernelSize}×${layer.kernelSize} kernel (use padding: same or a smaller kernelSize)`;
    }
    return [height, width, layer.filters];
  },
  weightShapes: (layer, shape) => [[layer.kernelSize, layer.kernelSize, shape[2], layer.filters], [layer.filters]],
  initialWeights: kernelAndBias,
  build: (layer, _, index) => convolutionTfjsLayers('conv2d', layer, index),
  toOnnx: (layer, graph, input, [kernel, bias]) => {
    const output = conv2d.outputShape(layer, input.shape) as number[];
    const channels = input.shape[2];
    const [rows, columns] = [convolutionAxis(layer, input.shape[0]), convolutionAxis(layer, input.shape[1])];
    const weights = graph.initializer([layer.filters, channels, layer.kernelSize, layer.kernelSize], onnxConvKernel(kernel, layer.kernelSize, channels, layer.filters));
    const convolved = graph.node('Conv', [input.name, weights, graph.initializer([layer.filters], bias, 'bias')], {
      kernel_shape: [layer.kernelSize, layer.kernelSize],
      strides: [layer.strides, layer.strides],
      pads: [rows.before, columns.before, rows.after, columns.after],
    });
    return activationToOnnx(layer.activation, graph, { name: convolved, shape: output });
  },
  multiplyAdds: (layer, input, output) => output[0] * output[1] * layer.filters * layer.kernelSize * layer.kernelSize * input[2],
  examples: [[{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }]],
};
