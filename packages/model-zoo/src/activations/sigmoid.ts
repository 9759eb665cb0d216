import tf = require('@tensorflow/tfjs-core');
import { activationKind, onnxElementwise } from './kind.js';

export const sigmoid = activationKind({
  schema: { const: 'sigmoid', description: 'sigmoid: 1 / (1 + e⁻ˣ)' },
  elementwise: true,
  tfjsLayers: { fused: 'sigmoid' },
  apply: (x) => tf.sigmoid(x),
  toOnnx: onnxElementwise('Sigmoid'),
});
