import tf = require('@tensorflow/tfjs-core');
import { regressionLoss } from './kind.js';

// Threshold 1 on the standardised target: one standard deviation of the target in its units.
export const huber = regressionLoss({
  schema: { const: 'huber', description: 'huber: squared within one standard deviation of the target, absolute beyond' },
  tfjs: (targets, outputs) => tf.losses.huberLoss(targets, outputs),
  of: (residual) => (Math.abs(residual) <= 1 ? 0.5 * residual * residual : Math.abs(residual) - 0.5),
  unitsPower: 2,
});
