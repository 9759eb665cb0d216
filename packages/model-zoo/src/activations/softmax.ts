import tf = require('@tensorflow/tfjs-core');
import tfl = require('@tensorflow/tfjs-layers');
import { activationKind } from './kind.js';

export const softmax = activationKind({
  schema: { const: 'softmax', description: 'softmax: probabilities over the last axis' },
  elementwise: false,
  // Its own layer, after the logits: training takes them (softmax cross-entropy) and predict the probabilities.
  tfjsLayers: { after: (index) => [tfl.layers.activation({ activation: 'softmax', name: `softmax_${index}` })] },
  apply: (x) => tf.softmax(x),
  // Over the last axis: the classes of a vector, the channels of an image or a sequence (as tfjs does).
  toOnnx: (graph, value) =>
    value.shape.length === 3
      ? { name: graph.channelsLast(value, (nhwc) => graph.node('Softmax', [nhwc], { axis: -1 })), shape: value.shape }
      : { name: graph.node('Softmax', [value.name], { axis: value.shape.length === 2 ? 1 : -1 }), shape: value.shape },
});
