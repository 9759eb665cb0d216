import { registryOf } from '@specml/data';
import { bayes } from './bayes.js';
import { grid } from './grid.js';
import { random } from './random.js';

/** Every search method, named by its `sweep.method` value: the only list of them (the schema, the planner and the sweep folder read it). */
const SEARCH_METHOD_REGISTRY = registryOf([grid, random, bayes]);

export const SEARCH_METHODS = SEARCH_METHOD_REGISTRY.byName;
export const SEARCH_METHOD_NAMES = SEARCH_METHOD_REGISTRY.names;
export type SearchMethodName = (typeof SEARCH_METHOD_NAMES)[number];
export const isSearchMethodName = (name: unknown): name is SearchMethodName => typeof name === 'string' && Object.hasOwn(SEARCH_METHODS, name);
