import { bayes } from './bayes.js';
import { grid } from './grid.js';
import type { SearchMethod } from './kind.js';
import { random } from './random.js';

/** Every search method by its `sweep.method` name: the only list of them (the schema, the planner and the sweep folder read it). */
export const SEARCH_METHODS = { grid, random, bayes } as const satisfies Record<string, SearchMethod>;

export type SearchMethodName = keyof typeof SEARCH_METHODS;
export const SEARCH_METHOD_NAMES = Object.keys(SEARCH_METHODS) as SearchMethodName[];
export const isSearchMethodName = (name: unknown): name is SearchMethodName => typeof name === 'string' && Object.hasOwn(SEARCH_METHODS, name);
