import type { OnnxGraph, OnnxValue } from '../onnx-graph.js';
import { isSequence, needsSequence } from './kind.js';

// What the global poolings over a sequence share: one value per channel, over every position (the padding's
// too: tfjs-layers' global poolings ignore masks, as TensorFlow's text-classification tutorial's model does;
// the padding id has its own learnt vector).

/** The schema of a global pooling kind named `type`. */
export const globalPoolingSchema = <T extends string>(type: T, description: string) =>
  ({ type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: type, description } } }) as const;

export function globalPoolingOutputShape(layer: { type: string }, shape: readonly number[]): number[] | string {
  return isSequence(shape) ? [shape[1]] : needsSequence(layer.type, shape);
}

/** ReduceMean or ReduceMax over the positions of a [batch, channels, positions] sequence. */
export function globalPoolingToOnnx(op: 'ReduceMean' | 'ReduceMax', graph: OnnxGraph, input: OnnxValue): OnnxValue {
  return { name: graph.node(op, [input.name], { axes: [2], keepdims: 0 }), shape: [input.shape[1]] };
}
