import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '@specml/data';
import { DENSE_INITIALIZERS } from './initializers.js';
import type { Activation, DenseLayerSpec, LayerSpec, ModelSpec } from './schema.js';

/** A model that is a plain stack of dense layers on the flattened image: what the fast paths can train. */
export interface DenseStack {
  /** Input size, then each layer's units. */
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
  /** L2 factor per layer (0 for none). */
  readonly l2: readonly number[];
}

export interface ModelInput {
  /** [height, width, channels] */
  readonly imageShape: readonly [number, number, number];
}

/** The model's weights layer by layer: kernel and bias per dense or conv layer, four arrays per batch norm. */
export type ModelWeights = Float32Array[];

export function isDenseStack(spec: ModelSpec): boolean {
  return spec.layers.every((layer) => layer.type === 'dense');
}

/** The dense stack a model is, or undefined when it has other layers. */
export function denseStackOf(spec: ModelSpec, input: ModelInput): DenseStack | undefined {
  if (!isDenseStack(spec)) return undefined;
  const layers = spec.layers as DenseLayerSpec[];
  const [height, width, channels] = input.imageShape;
  return {
    sizes: [height * width * channels, ...layers.map((layer) => layer.units)],
    activations: layers.map((layer) => layer.activation),
    l2: layers.map((layer) => layer.l2 ?? 0),
  };
}

/** What each layer turns its input shape into, and the weights it holds; a string when the shape does not fit. */
interface LayerKind<L extends LayerSpec> {
  outputShape(layer: L, shape: readonly number[]): number[] | string;
  /** Shapes of its weights in tfjs order, given its input shape. */
  weightShapes(layer: L, shape: readonly number[]): number[][];
  /** The tfjs layers it becomes (activations that tfjs cannot differentiate inside a layer come as their own layer). */
  build(layer: L, shape: readonly number[], index: number): tfl.layers.Layer[];
}

const image = (shape: readonly number[]) => shape.length === 3;
const needsImage = (layer: LayerSpec) =>
  `a ${layer.type} layer needs an image-shaped input, but the layer before it outputs a vector (put convolution and pooling layers before flatten and dense layers)`;

/** The activation as its own layer, where it is not fused into the dense or conv layer. */
function activationLayers(activation: Activation, index: number): tfl.layers.Layer[] {
  if (activation === 'leakyRelu') return [tfl.layers.leakyReLU({ alpha: 0.2, name: `leaky_relu_${index}` })];
  if (activation === 'softmax') return [tfl.layers.activation({ activation: 'softmax', name: `softmax_${index}` })];
  return [];
}
const fusedActivation = (activation: Activation) => (activation === 'leakyRelu' || activation === 'softmax' ? 'linear' : activation);

/** One entry per layer type, the builder's side of the schema's table. */
const LAYER_KINDS: { [T in LayerSpec['type']]: LayerKind<Extract<LayerSpec, { type: T }>> } = {
  dense: {
    outputShape: (layer) => [layer.units],
    weightShapes: (layer, shape) => [[shape.reduce((a, b) => a * b, 1), layer.units], [layer.units]],
    build: (layer, shape, index) => [
      ...(image(shape) ? [tfl.layers.flatten({ name: `flatten_before_${index}` })] : []),
      tfl.layers.dense({ units: layer.units, activation: fusedActivation(layer.activation), kernelInitializer: 'zeros', name: `dense_${index}` }),
      ...activationLayers(layer.activation, index),
    ],
  },
  conv2d: {
    outputShape: (layer, shape) => {
      if (!image(shape)) return needsImage(layer);
      const side = (size: number) => (layer.padding === 'same' ? Math.ceil(size / layer.strides) : Math.floor((size - layer.kernelSize) / layer.strides) + 1);
      const [height, width] = [side(shape[0]), side(shape[1])];
      if (height < 1 || width < 1) {
        return `its input is ${shape[0]}×${shape[1]}, smaller than the ${layer.kernelSize}×${layer.kernelSize} kernel (use padding: same or a smaller kernelSize)`;
      }
      return [height, width, layer.filters];
    },
    weightShapes: (layer, shape) => [[layer.kernelSize, layer.kernelSize, shape[2], layer.filters], [layer.filters]],
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
  },
  maxPooling2d: {
    outputShape: (layer, shape) => {
      if (!image(shape)) return needsImage(layer);
      const strides = layer.strides ?? layer.poolSize;
      const side = (size: number) => Math.floor((size - layer.poolSize) / strides) + 1;
      if (side(shape[0]) < 1 || side(shape[1]) < 1) return `its input is ${shape[0]}×${shape[1]}, smaller than the ${layer.poolSize}×${layer.poolSize} window`;
      return [side(shape[0]), side(shape[1]), shape[2]];
    },
    weightShapes: () => [],
    build: (layer, _, index) => [tfl.layers.maxPooling2d({ poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, name: `max_pooling_${index}` })],
  },
  flatten: {
    outputShape: (_, shape) => [shape.reduce((a, b) => a * b, 1)],
    weightShapes: () => [],
    build: (_, shape, index) => (image(shape) ? [tfl.layers.flatten({ name: `flatten_${index}` })] : []),
  },
  dropout: {
    outputShape: (_, shape) => [...shape],
    weightShapes: () => [],
    build: (layer, _, index) => [tfl.layers.dropout({ rate: layer.rate, name: `dropout_${index}` })],
  },
  batchNormalization: {
    outputShape: (_, shape) => [...shape],
    weightShapes: (_, shape) => Array.from({ length: 4 }, () => [shape[shape.length - 1]]),
    build: (layer, _, index) => [tfl.layers.batchNormalization({ momentum: layer.momentum, epsilon: layer.epsilon, name: `batch_norm_${index}` })],
  },
};

const kindOf = <L extends LayerSpec>(layer: L) => LAYER_KINDS[layer.type] as unknown as LayerKind<L>;

export interface LayerPlan {
  /** Each layer's input shape (without the batch axis). */
  readonly inputShapes: number[][];
  readonly outputShape: number[];
  /** Shapes of every weight, in tfjs order. */
  readonly weightShapes: number[][];
  /** Layers whose input shape does not fit, with why. */
  readonly problems: Array<{ index: number; message: string }>;
}

/** Follows the image's shape through the layers: the basis of the semantic checks and of the weights. */
export function planLayers(spec: ModelSpec, input: ModelInput): LayerPlan {
  let shape: number[] = [...input.imageShape];
  const inputShapes: number[][] = [];
  const weightShapes: number[][] = [];
  const problems: LayerPlan['problems'] = [];
  spec.layers.forEach((layer, index) => {
    inputShapes.push(shape);
    const next = kindOf(layer).outputShape(layer, shape);
    if (typeof next === 'string') {
      problems.push({ index, message: next });
      return;
    }
    weightShapes.push(...kindOf(layer).weightShapes(layer, shape));
    shape = next;
  });
  return { inputShapes, outputShape: shape, weightShapes, problems };
}

export function parameterCount(spec: ModelSpec, input: ModelInput): number {
  return planLayers(spec, input).weightShapes.reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Draws the initial weights from the spec's initializer and the seeded stream, in tfjs order. A dense or
 * conv kernel is a fan_in × units matrix in tfjs' row-major layout; batch norm starts at γ = 1, β = 0,
 * mean 0, variance 1.
 */
export function initialWeights(spec: ModelSpec, input: ModelInput, rng: Rng): ModelWeights {
  const plan = planLayers(spec, input);
  const initialize = DENSE_INITIALIZERS[spec.initializer];
  const weights: ModelWeights = [];
  let next = 0;
  for (const layer of spec.layers) {
    const count = kindOf(layer).weightShapes(layer, plan.inputShapes[spec.layers.indexOf(layer)]).length;
    const shapes = plan.weightShapes.slice(next, next + count);
    next += count;
    if (layer.type === 'batchNormalization') {
      const [channels] = shapes[0];
      weights.push(new Float32Array(channels).fill(1), new Float32Array(channels), new Float32Array(channels), new Float32Array(channels).fill(1));
    } else if (shapes.length === 2) {
      const units = shapes[1][0];
      const fanIn = shapes[0].reduce((a, b) => a * b, 1) / units;
      const { kernel, bias } = initialize(fanIn, units, rng);
      weights.push(kernel, bias);
    }
  }
  return weights;
}

/**
 * Builds the tfjs model: image-shaped input, the spec's layers (a flatten added before the first dense
 * layer, softmax as a layer of its own so training can take the logits), holding `weights`. This is the
 * model that is saved, evaluated and loaded in the browser, whatever trained it.
 */
export function buildModel(spec: ModelSpec, input: ModelInput, weights: ModelWeights): tfl.Sequential {
  const plan = planLayers(spec, input);
  if (plan.problems.length > 0) throw new Error(`model.layers[${plan.problems[0].index}]: ${plan.problems[0].message}`);
  const model = tfl.sequential();
  model.add(tfl.layers.inputLayer({ inputShape: [...input.imageShape], name: 'image' }));
  spec.layers.forEach((layer, index) => {
    for (const built of kindOf(layer).build(layer, plan.inputShapes[index], index + 1)) model.add(built);
  });
  setModelWeights(model, weights);
  return model;
}

// Layer by layer, each layer's weights in its own order (batch norm: γ, β, running mean, running variance).
// The model-level order (model.weights) lists every trainable weight before any non-trainable one instead.
export function setModelWeights(model: tfl.LayersModel, weights: ModelWeights): void {
  let next = 0;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const tensors = layer.weights.map((variable) => tf.tensor(weights[next++], variable.shape as number[]));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  if (next !== weights.length) throw new Error(`the model holds ${next} weight arrays, ${weights.length} were given`);
}

export function getModelWeights(model: tfl.LayersModel): ModelWeights {
  return model.layers.flatMap((layer) => layer.getWeights().map((tensor) => (tensor.dataSync() as Float32Array).slice()));
}

/** The model's output before its final softmax layer: what the loss is computed on. */
export function logitsOf(model: tfl.Sequential, x: tf.Tensor, training: boolean): tf.Tensor2D {
  let h = x;
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  for (const layer of layers.slice(0, -1)) h = layer.apply(h, { training }) as tf.Tensor;
  return h as tf.Tensor2D;
}
