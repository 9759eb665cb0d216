import { registryOf } from '@specml/data';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { OnnxGraph, OnnxValue } from '../onnx-graph.js';
import { elu } from './elu.js';
import type { TfjsFusedActivation } from './kind.js';
import { leakyRelu } from './leaky-relu.js';
import { linear } from './linear.js';
import { relu } from './relu.js';
import { selu } from './selu.js';
import { sigmoid } from './sigmoid.js';
import { softmax } from './softmax.js';
import { tanh } from './tanh.js';

/**
 * Every activation a dense or conv layer can apply, in the schema's order: the only list of them (the schema,
 * tfjs-layers, the tfjs engine, ONNX and the native engine's test read it). Adding one is a module beside
 * this file and an entry here, plus its file in the native engine's activations/.
 */
const ACTIVATION_REGISTRY = registryOf([relu, leakyRelu, elu, selu, sigmoid, tanh, softmax, linear]);

export const ACTIVATION_KINDS = ACTIVATION_REGISTRY.byName;
export const ACTIVATIONS = ACTIVATION_REGISTRY.names;
export type Activation = (typeof ACTIVATIONS)[number];

/** What each activation does, one line each: for the schema's description of `activation:`. */
export const ACTIVATION_DESCRIPTIONS = ACTIVATION_REGISTRY.schemas.map((schema) => schema.description).join('; ');

/** What tfjs-layers computes inside a dense or conv layer: the activation itself, or linear where layers follow it. */
export function fusedActivation(activation: Activation): TfjsFusedActivation {
  const { tfjsLayers } = ACTIVATION_KINDS[activation];
  return 'fused' in tfjsLayers ? tfjsLayers.fused : 'linear';
}

/** The activation's own layers after a dense or conv layer (none where it is fused into it). */
export function activationLayers(activation: Activation, index: number): tfl.layers.Layer[] {
  const { tfjsLayers } = ACTIVATION_KINDS[activation];
  return 'after' in tfjsLayers ? tfjsLayers.after(index) : [];
}

/** The activation's ONNX nodes after `value`. */
export const activationToOnnx = (activation: Activation, graph: OnnxGraph, value: OnnxValue): OnnxValue => ACTIVATION_KINDS[activation].toOnnx(graph, value);
