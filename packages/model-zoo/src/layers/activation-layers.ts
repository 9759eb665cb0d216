import tfl = require('@tensorflow/tfjs-layers');
import type { Activation } from './kind.js';

/** The activation as its own layer, where it is not fused into the dense or conv layer. */
export function activationLayers(activation: Activation, index: number): tfl.layers.Layer[] {
  if (activation === 'leakyRelu') return [tfl.layers.leakyReLU({ alpha: 0.2, name: `leaky_relu_${index}` })];
  if (activation === 'softmax') return [tfl.layers.activation({ activation: 'softmax', name: `softmax_${index}` })];
  return [];
}

/** What tfjs computes inside the layer: leakyRelu (its α) and softmax (the logits are needed) come after it. */
export const fusedActivation = (activation: Activation) => (activation === 'leakyRelu' || activation === 'softmax' ? 'linear' : activation);
