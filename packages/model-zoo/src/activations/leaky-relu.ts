import tf = require('@tensorflow/tfjs-core');
import tfl = require('@tensorflow/tfjs-layers');
import { activationKind, onnxElementwise } from './kind.js';

/** The slope below 0, as the spec documents it (tfjs-layers' leakyReLU default is 0.3). */
const ALPHA = 0.2;

export const leakyRelu = activationKind({
  schema: { const: 'leakyRelu', description: `leakyRelu: x above 0, ${ALPHA}·x below` },
  elementwise: true,
  tfjsLayers: { after: (index) => [tfl.layers.leakyReLU({ alpha: ALPHA, name: `leaky_relu_${index}` })] },
  apply: (x) => tf.leakyRelu(x, ALPHA),
  toOnnx: onnxElementwise('LeakyRelu', { alpha: ALPHA }, ['alpha']),
});
