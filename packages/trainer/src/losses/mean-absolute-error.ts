import tf = require('@tensorflow/tfjs-core');
import { regressionLoss } from './kind.js';

export const meanAbsoluteError = regressionLoss({
  schema: { const: 'meanAbsoluteError', description: 'meanAbsoluteError: the mean of the errors\' sizes (less swayed by a few far-off rows)' },
  tfjs: (targets, outputs) => tf.losses.absoluteDifference(targets, outputs),
  of: (residual) => Math.abs(residual),
  unitsPower: 1,
});
