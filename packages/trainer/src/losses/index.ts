import { registryOf } from '@specml/data';
import { huber } from './huber.js';
import { meanAbsoluteError } from './mean-absolute-error.js';
import { meanSquaredError } from './mean-squared-error.js';

/**
 * Every regression loss by its `loss:` name, the first the default: the only list of them (schema, tfjs
 * objective, metrics' units and the native engine's test derive from it). Adding one is a module beside
 * this file and an entry here, plus its file in native/losses/.
 */
const REGRESSION_LOSS_REGISTRY = registryOf([meanSquaredError, meanAbsoluteError, huber]);

export const REGRESSION_LOSS_KINDS = REGRESSION_LOSS_REGISTRY.byName;
export const REGRESSION_LOSSES = REGRESSION_LOSS_REGISTRY.names;
export type RegressionLoss = (typeof REGRESSION_LOSSES)[number];
/** What each loss is, one line each, in the registry's order: for the schema. */
export const REGRESSION_LOSS_DESCRIPTIONS = REGRESSION_LOSS_REGISTRY.schemas.map((schema) => schema.description);
