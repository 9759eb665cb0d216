import tf = require('@tensorflow/tfjs-core');
import { activationKind, onnxElementwise } from './kind.js';

export const elu = activationKind({
  schema: { const: 'elu', description: 'elu: x above 0, eˣ − 1 below' },
  elementwise: true,
  tfjsLayers: { fused: 'elu' },
  apply: (x) => tf.elu(x),
  toOnnx: onnxElementwise('Elu', { alpha: 1 }, ['alpha']),
});
