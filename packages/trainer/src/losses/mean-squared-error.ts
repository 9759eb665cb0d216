import tf = require('@tensorflow/tfjs-core');
import { regressionLoss } from './kind.js';

export const meanSquaredError = regressionLoss({
  schema: { const: 'meanSquaredError', description: 'meanSquaredError (the default): the mean of the squared errors' },
  tfjs: (targets, outputs) => tf.losses.meanSquaredError(targets, outputs),
  of: (residual) => residual * residual,
  unitsPower: 2,
});
