import { randomProposal, seededUniform, type Proposal } from '../space.js';
import type { Searcher, SearchMethod } from './kind.js';

export const random = {
  schema: { const: 'random', description: '`trials` independent draws from the parameters\' distributions' },
  searchesRanges: true,
  adaptive: false,
  options: {},
  create: ({ space, seed, trials }): Searcher => {
    // Drawn in order from one stream of the sweep's seed: trial k is the same however the sweep runs.
    const uniform = seededUniform(`sweep:${seed}`);
    const proposals: Proposal[] = Array.from({ length: trials }, () => randomProposal(space, uniform));
    return { ask: (index) => proposals[index - 1] };
  },
} as const satisfies SearchMethod;
