import type { Proposal, Space } from '../space.js';
import type { Searcher, SearchMethod } from './kind.js';

/** Every combination of the listed values, the first key varying slowest. */
export function gridProposals(space: Space): Proposal[] {
  const axes = Object.entries(space).map(([key, parameter]) => ({ key, values: parameter.kind === 'values' ? parameter.values : [] }));
  const count = axes.reduce((product, axis) => product * axis.values.length, 1);
  return Array.from({ length: count }, (_, index) => {
    const values: Proposal = {};
    let rest = index;
    for (let axis = axes.length - 1; axis >= 0; axis--) {
      const { key, values: options } = axes[axis];
      values[key] = options[rest % options.length];
      rest = Math.floor(rest / options.length);
    }
    return Object.fromEntries(axes.map((axis) => [axis.key, values[axis.key]]));
  });
}

export const grid = {
  schema: { const: 'grid', description: 'every combination of the listed values (the default)' },
  searchesRanges: false,
  adaptive: false,
  trialCount: (space) => Object.values(space).reduce((product, parameter) => product * (parameter.kind === 'values' ? parameter.values.length : 0), 1),
  options: {},
  create: ({ space }): Searcher => {
    const proposals = gridProposals(space);
    return { ask: (index) => proposals[index - 1] };
  },
} as const satisfies SearchMethod;
