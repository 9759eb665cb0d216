import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '@specml/data';
import { DENSE_INITIALIZERS, type DenseWeights } from './initializers.js';
import type { Activation, ModelSpec } from './schema.js';

/** A model that is a plain stack of dense layers on the flattened image: what fast paths can train. */
export interface DenseStack {
  /** Input size, then each layer's units. */
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
}

export interface ModelInput {
  /** [height, width, channels] */
  readonly imageShape: readonly [number, number, number];
}

export function denseStackOf(spec: ModelSpec, input: ModelInput): DenseStack {
  const [height, width, channels] = input.imageShape;
  return {
    sizes: [height * width * channels, ...spec.layers.map((layer) => layer.units)],
    activations: spec.layers.map((layer) => layer.activation),
  };
}

/** Draws the initial weights of every layer from the spec's initializer and the seeded stream. */
export function initialWeights(spec: ModelSpec, input: ModelInput, rng: Rng): DenseWeights[] {
  const { sizes } = denseStackOf(spec, input);
  const initialize = DENSE_INITIALIZERS[spec.initializer];
  return spec.layers.map((_, index) => initialize(sizes[index], sizes[index + 1], rng));
}

/**
 * Builds the tfjs model: image-shaped input [h, w, c], flatten, then the spec's layers, holding `weights`.
 * This is the model that is saved, evaluated and loaded in the browser, whatever trained it.
 */
export function buildModel(spec: ModelSpec, input: ModelInput, weights: readonly DenseWeights[]): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.flatten({ inputShape: [...input.imageShape], name: 'flatten' }));
  spec.layers.forEach((layer, index) => {
    model.add(
      tfl.layers.dense({
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: 'zeros',
        name: `dense_${index + 1}`,
      }),
    );
  });
  setDenseWeights(model, weights);
  return model;
}

export function setDenseWeights(model: tfl.LayersModel, weights: readonly DenseWeights[]): void {
  const [, ...denseLayers] = model.layers;
  const tensors = weights.flatMap((layer, index) => {
    const [fanIn, units] = denseLayers[index].getWeights()[0].shape;
    return [tf.tensor2d(layer.kernel, [fanIn, units]), tf.tensor1d(layer.bias)];
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

export function getDenseWeights(model: tfl.LayersModel): DenseWeights[] {
  const values = model.getWeights().map((tensor) => tensor.dataSync() as Float32Array);
  const layers: DenseWeights[] = [];
  for (let i = 0; i < values.length; i += 2) layers.push({ kernel: values[i].slice(), bias: values[i + 1].slice() });
  return layers;
}

export function parameterCount(stack: DenseStack): number {
  let count = 0;
  for (let i = 1; i < stack.sizes.length; i++) count += stack.sizes[i - 1] * stack.sizes[i] + stack.sizes[i];
  return count;
}
