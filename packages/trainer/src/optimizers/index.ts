import { registryOf } from '@specml/data';
import { adagrad } from './adagrad.js';
import { adam } from './adam.js';
import { momentum } from './momentum.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';

/**
 * Every optimizer. Adding one is a module beside this file and an entry here, plus its file in
 * native/optim/ for the native engine; the schema, error hints and docs follow from it.
 */
const OPTIMIZERS = registryOf([adam, sgd, momentum, rmsprop, adagrad], 'name');

/** The optimizers by their `name:`. */
export const OPTIMIZER_KINDS = OPTIMIZERS.byName;

export const OPTIMIZER_NAMES = OPTIMIZERS.names;

/** The schema's list of optimizer variants, in the registry's order. */
export const optimizerVariants = OPTIMIZERS.schemas;
