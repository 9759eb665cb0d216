import { csv } from './csv.js';
import { fashionMnist } from './fashion-mnist.js';
import { idx } from './idx.js';
import { imageFolder } from './image-folder.js';
import { mnist } from './mnist.js';

/** Every dataset kind by its `data.dataset` name: the only list of them (schema, loader, README derive from it). */
export const DATASET_KINDS = {
  mnist,
  'fashion-mnist': fashionMnist,
  idx,
  imageFolder,
  csv,
} as const;

export type DatasetName = keyof typeof DATASET_KINDS;
export const DATASET_NAMES = Object.keys(DATASET_KINDS) as DatasetName[];


/** The kind a spec without `data.dataset` gets. */
export const DEFAULT_DATASET: DatasetName = 'mnist';
