import tf = require('@tensorflow/tfjs-core');
import { activationKind, onnxElementwise } from './kind.js';

export const relu = activationKind({
  schema: { const: 'relu', description: 'relu: max(0, x)' },
  elementwise: true,
  tfjsLayers: { fused: 'relu' },
  apply: (x) => tf.relu(x),
  fusedMatMul: 'relu',
  toOnnx: onnxElementwise('Relu'),
});
