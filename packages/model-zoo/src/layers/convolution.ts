import tfl = require('@tensorflow/tfjs-layers');
import { activationLayers, fusedActivation } from '../activations/index.js';
import { activationSchema, l2Schema, type Activation } from './kind.js';

/** The schema of a convolution kind named `type` (conv2d, conv1d): filters, a kernel, its stride and padding, an activation and an l2 penalty. */
export const convolutionSchema = <T extends string>(type: T, description: string, kernelSize: string, same: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['type', 'filters'],
    properties: {
      type: { const: type, description },
      filters: { type: 'integer', minimum: 1, maximum: 4096, description: 'Number of output channels.' },
      kernelSize: { type: 'integer', minimum: 1, maximum: 15, default: 3, description: kernelSize },
      strides: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Step of the kernel.' },
      padding: { enum: ['valid', 'same'], default: 'valid', description: `same keeps the ${same} (at stride 1); valid does not pad.` },
      activation: activationSchema,
      l2: l2Schema,
    },
  }) as const;

/**
 * A convolution's output positions along one axis of `size` (tfjs' rule: same keeps ⌈size / stride⌉, valid
 * what fits), and the padding it reads before and after it (same: what the windows need beyond the edges,
 * the odd one at the end, ONNX's SAME_UPPER).
 */
export function convolutionAxis(layer: { kernelSize: number; strides: number; padding: 'valid' | 'same' }, size: number) {
  const out = layer.padding === 'same' ? Math.ceil(size / layer.strides) : Math.floor((size - layer.kernelSize) / layer.strides) + 1;
  const total = layer.padding === 'same' ? Math.max((out - 1) * layer.strides + layer.kernelSize - size, 0) : 0;
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

/** The tfjs layers of a convolution (`conv2d` or `conv1d`), its weights set later; an activation tfjs cannot fuse follows as a layer of its own. */
export function convolutionTfjsLayers(
  kind: 'conv2d' | 'conv1d',
  layer: { filters: number; kernelSize: number; strides: number; padding: 'valid' | 'same'; activation: Activation },
  index: number,
): tfl.layers.Layer[] {
  const args = { filters: layer.filters, kernelSize: layer.kernelSize, strides: layer.strides, padding: layer.padding, activation: fusedActivation(layer.activation), kernelInitializer: 'zeros' as const, name: `${kind}_${index}` };
  return [tfl.layers[kind](args), ...activationLayers(layer.activation, index)];
}
