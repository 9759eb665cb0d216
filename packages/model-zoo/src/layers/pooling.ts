import type { OnnxGraph, OnnxValue } from '../onnx-graph.js';
import { isImage, needsImage } from './kind.js';

// What the pooling kinds share: a square window of `poolSize`, moved by `strides` (default: the window, so
// windows do not overlap), over an image, with tfjs' valid padding.

/** The schema of a pooling kind named `type`. */
export const poolingSchema = <T extends string>(type: T, description: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: type, description },
      poolSize: { type: 'integer', minimum: 1, maximum: 8, default: 2, description: 'Side of the window.' },
      strides: { type: 'integer', minimum: 1, maximum: 8, description: 'Step of the window. Default: poolSize.' },
    },
  }) as const;

/** A pooling layer as its ONNX operator (valid padding: no pads). */
export function poolingToOnnx(op: 'MaxPool' | 'AveragePool', layer: { type: string; poolSize: number; strides?: number }, graph: OnnxGraph, input: OnnxValue): OnnxValue {
  const strides = layer.strides ?? layer.poolSize;
  const name = graph.node(op, [input.name], { kernel_shape: [layer.poolSize, layer.poolSize], strides: [strides, strides] });
  return { name, shape: poolingOutputShape(layer, input.shape) as number[] };
}

/** The output shape of a pooling layer, or why it cannot take its input. */
export function poolingOutputShape(layer: { type: string; poolSize: number; strides?: number }, shape: readonly number[]): number[] | string {
  if (!isImage(shape)) return needsImage(layer.type, shape);
  const strides = layer.strides ?? layer.poolSize;
  const side = (size: number) => Math.floor((size - layer.poolSize) / strides) + 1;
  if (side(shape[0]) < 1 || side(shape[1]) < 1) return `its input is ${shape[0]}×${shape[1]}, smaller than the ${layer.poolSize}×${layer.poolSize} window`;
  return [side(shape[0]), side(shape[1]), shape[2]];
}
