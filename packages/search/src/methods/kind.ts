import type { Goal, Observation, Proposal, Space } from '../space.js';

/** What a search method is given: the space, the goal, the sweep's seed and size, and its own options. */
export interface SearchSetting {
  readonly space: Space;
  readonly goal: Goal;
  readonly seed: number;
  /** How many trials the sweep runs (for grid, the number of combinations). */
  readonly trials: number;
  /** The sweep block's keys that this method reads (its `options`), as written. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * One sweep's search, ask/tell in the way of Optuna's samplers and Ray Tune's searchers: the sweep asks for
 * trial `index`'s values, giving what finished (its values and metric: the "tell") and what still runs.
 * The same index with the same history always gets the same answer, so a resumed sweep proposes what the
 * first would have.
 */
export interface Searcher {
  ask(index: number, history: readonly Observation[], pending: readonly Proposal[]): Proposal;
}

/** A search method: one module and one entry in methods/index.ts. */
export interface SearchMethod {
  /** Its `sweep.method` value, and one sentence for the schema, the editor and the README. */
  readonly schema: { readonly const: string; readonly description: string };
  /** Whether it draws from ranges (`{ min, max }`), or needs lists of values it can enumerate. */
  readonly searchesRanges: boolean;
  /** Whether its proposals depend on finished trials (then they are made as trials end), or are all known up front (and validated before any runs). */
  readonly adaptive: boolean;
  /** How many trials it runs by itself (a grid: every combination); undefined when `trials` says. */
  trialCount?(space: Space): number;
  /** The sweep block's keys only this method reads, as JSON Schema (no defaults: the method fills them). */
  readonly options: Readonly<Record<string, object>>;
  create(setting: SearchSetting): Searcher;
}
