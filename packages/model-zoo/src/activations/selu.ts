import tf = require('@tensorflow/tfjs-core');
import { activationKind, onnxElementwise } from './kind.js';

export const selu = activationKind({
  schema: { const: 'selu', description: 'selu: elu scaled to keep activations standardised (Klambauer et al.)' },
  elementwise: true,
  tfjsLayers: { fused: 'selu' },
  apply: (x) => tf.selu(x),
  toOnnx: onnxElementwise('Selu'),
});
