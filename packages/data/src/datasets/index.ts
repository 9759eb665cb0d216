import { registryOf } from '../registry.js';
import { csv } from './csv.js';
import { fashionMnist } from './fashion-mnist.js';
import { idx } from './idx.js';
import { imageFolder } from './image-folder.js';
import { mnist } from './mnist.js';

/** Every dataset kind, named by its `data.dataset` value: the only list of them (schema, loader, README derive from it). */
const DATASET_REGISTRY = registryOf([mnist, fashionMnist, idx, imageFolder, csv]);

export const DATASET_KINDS = DATASET_REGISTRY.byName;
export const DATASET_NAMES = DATASET_REGISTRY.names;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The kind a spec without `data.dataset` gets. */
export const DEFAULT_DATASET: DatasetName = 'mnist';
