import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '@specml/data';
import type { FromSchema } from 'json-schema-to-ts';
import { denseInitialWeights, type InitializerName } from '../initializers.js';
import type { OnnxGraph, OnnxValue } from '../onnx-graph.js';

import { ACTIVATION_DESCRIPTIONS, ACTIVATIONS, type Activation } from '../activations/index.js';

export { ACTIVATIONS, type Activation };


/** The schema fragments layer kinds share. */
export const activationSchema = {
  enum: ACTIVATIONS,
  default: 'linear',
  description: `Applied to the layer's output: ${ACTIVATION_DESCRIPTIONS}. A classifier's last layer is softmax: training minimises softmax cross-entropy (PyTorch's log_softmax + nll_loss); a regression's is linear.`,
} as const;

export const l2Schema = { type: 'number', minimum: 0, maximum: 1, description: 'L2 penalty on the kernel: adds l2 · Σ w² to the loss. Default: none.' } as const;

/**
 * Everything the model zoo knows about one layer kind: its schema branch, the shape it turns its input
 * into (or why it cannot), its weights, how they start, and the tfjs layers it becomes. One module per
 * kind under layers/; the schema, the planner, the initialiser and the tfjs builder read them from the
 * list in layers/index.ts.
 */
export interface LayerKind<Schema extends { properties: { type: { const: string } } }> extends LayerBehaviour<FromSchema<Schema>> {
  readonly schema: Schema;
}

/**
 * What a kind does with a layer `L` of its own type. `tokens`, where given, says the layer reads the model's
 * input and that input is token ids (a text column read as a sequence) from a vocabulary of that many ids.
 */
export interface LayerBehaviour<L> {
  outputShape(layer: L, shape: readonly number[], tokens?: number): number[] | string;
  /** Shapes of its weights in tfjs order, given its input shape. */
  weightShapes(layer: L, shape: readonly number[], tokens?: number): number[][];
  /** Its starting weights for those shapes, drawn from the spec's initializer and seeded stream. */
  initialWeights(shapes: number[][], initializer: InitializerName, rng: Rng): Float32Array[];
  /** The tfjs layers it becomes (activations that tfjs cannot differentiate inside a layer come as their own layer). */
  build(layer: L, shape: readonly number[], index: number, tokens?: number): tfl.layers.Layer[];
  /**
   * The ONNX nodes it becomes, given its input in the graph and its weights in tfjs order (onnx-graph.ts:
   * images in NCHW); returns its output. A layer with nothing to do at inference (dropout) returns its input.
   */
  toOnnx(layer: L, graph: OnnxGraph, input: OnnxValue, weights: readonly Float32Array[]): OnnxValue;
  /** Multiply-adds of one image's forward pass (for FLOP counts); none where the kind has no products to speak of. */
  multiplyAdds?(layer: L, input: readonly number[], output: readonly number[]): number;
  /**
   * A few ways to use the kind, each a list of layers that follows an image-shaped convolution (or, where
   * `examplesRead` is tokens, that starts the model on token ids): the native engine's tests check each
   * against tfjs-layers (predictions, loss, every gradient), so a new kind is checked as soon as it is in
   * the registry.
   */
  readonly examples: readonly (readonly ({ readonly type: string } & Readonly<Record<string, unknown>>)[])[];
  readonly examplesRead?: 'tokens';
}

/** [height, width, channels] */
export const isImage = (shape: readonly number[]) => shape.length === 3;
/** [positions, channels]: a text's tokens after an embedding */
export const isSequence = (shape: readonly number[]) => shape.length === 2;
/** What an image or sequence is flattened into before a dense layer. */
export const isVector = (shape: readonly number[]) => shape.length === 1;

export const needsImage = (type: string, shape: readonly number[]) =>
  isSequence(shape)
    ? `a ${type} layer needs an image-shaped input, but its input is a sequence (a text's tokens: use conv1d and globalAveragePooling1d or globalMaxPooling1d)`
    : `a ${type} layer needs an image-shaped input, but its input is a vector (put convolution and pooling layers before flatten and dense layers; table rows are vectors: use dense layers)`;
export const needsSequence = (type: string, shape: readonly number[]) =>
  `a ${type} layer needs a sequence (a text column read as encoding: sequence, after an embedding layer), but its input is ${isImage(shape) ? 'an image' : 'a vector'}`;

/** No weights. */
export const noWeights = { weightShapes: () => [], initialWeights: () => [] };

/** A kernel [fan_in… × units] and a bias [units], drawn by the spec's initializer. */
export function kernelAndBias(shapes: number[][], initializer: InitializerName, rng: Rng): Float32Array[] {
  const units = shapes[1][0];
  const fanIn = shapes[0].reduce((a, b) => a * b, 1) / units;
  const { kernel, bias } = denseInitialWeights(initializer, fanIn, units, rng);
  return [kernel, bias];
}
