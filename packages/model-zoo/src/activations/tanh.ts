import tf = require('@tensorflow/tfjs-core');
import { activationKind, onnxElementwise } from './kind.js';

export const tanh = activationKind({
  schema: { const: 'tanh', description: 'tanh: the hyperbolic tangent' },
  elementwise: true,
  tfjsLayers: { fused: 'tanh' },
  apply: (x) => tf.tanh(x),
  toOnnx: onnxElementwise('Tanh'),
});
