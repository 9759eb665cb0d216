import { huber } from './huber.js';
import { meanAbsoluteError } from './mean-absolute-error.js';
import { meanSquaredError } from './mean-squared-error.js';

/**
 * Every regression loss by its `loss:` name, the first the default: the only list of them (schema, tfjs
 * objective, metrics' units and the native engine's test derive from it). Adding one is a module beside
 * this file and an entry here, plus its file in native/losses/.
 */
export const REGRESSION_LOSS_KINDS = { meanSquaredError, meanAbsoluteError, huber } as const;

export type RegressionLoss = keyof typeof REGRESSION_LOSS_KINDS;
export const REGRESSION_LOSSES = Object.keys(REGRESSION_LOSS_KINDS) as RegressionLoss[];
