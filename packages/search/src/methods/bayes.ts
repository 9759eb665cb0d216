import { seededUniform } from '../space.js';
import { TPE_DEFAULTS, tpeProposal } from '../tpe.js';
import type { Searcher, SearchMethod } from './kind.js';

export const bayes = {
  schema: { const: 'bayes', description: '`trials` proposals of a Tree-structured Parzen Estimator (TPE) that learns from the finished trials: it models where good and bad trials lie and proposes where good ones are likelier; trials still running count as bad until they report, so parallel workers spread out' },
  searchesRanges: true,
  adaptive: true,
  options: {
    multivariate: {
      type: 'boolean',
      description: 'bayes: one joint density over all parameters (true, the default: it follows parameters that matter together) or one per parameter (false, hyperopt\'s and Optuna\'s default).',
    },
  },
  create: ({ space, goal, seed, options }): Searcher => {
    const tpe = { ...TPE_DEFAULTS, multivariate: typeof options.multivariate === 'boolean' ? options.multivariate : TPE_DEFAULTS.multivariate };
    // Each proposal has its own seeded stream, so that a resumed search proposes what the first would have.
    return { ask: (index, history, pending) => tpeProposal(space, history, goal, seededUniform(`sweep:${seed}:trial:${index}`), tpe, pending) };
  },
} as const satisfies SearchMethod;
