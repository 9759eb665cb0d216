import { registryOf } from '@specml/data';
import { batchNormalization } from './batch-normalization.js';
import { conv1d } from './conv1d.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { flatten } from './flatten.js';
import { globalAveragePooling1d } from './global-average-pooling1d.js';
import { globalMaxPooling1d } from './global-max-pooling1d.js';
import { averagePooling2d } from './average-pooling2d.js';
import { maxPooling2d } from './max-pooling2d.js';

/**
 * Every layer kind. Adding a kind is a module beside this file and an entry here (and, for the native
 * engine, a file in packages/trainer/native/layers/); the schema, shapes, initial weights and tfjs model
 * follow from it.
 */
const LAYERS = registryOf([dense, conv2d, maxPooling2d, averagePooling2d, flatten, dropout, batchNormalization, embedding, conv1d, globalAveragePooling1d, globalMaxPooling1d], 'type');

/** The kinds by their `type:`. */
export const LAYER_KINDS = LAYERS.byName;

export const LAYER_TYPES = LAYERS.names;

/** The schema's list of layer variants, in the registry's order. */
export const layerVariants = LAYERS.schemas;
