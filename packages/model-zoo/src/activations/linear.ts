import { activationKind } from './kind.js';

export const linear = activationKind({
  schema: { const: 'linear', description: 'linear: the value itself' },
  elementwise: true,
  tfjsLayers: { fused: 'linear' },
  apply: (x) => x,
  fusedMatMul: 'linear',
  toOnnx: (_graph, value) => value,
});
