import { metricKind, sumOfErrors } from './kind.js';

export const mae = metricKind({
  schema: { const: 'mae', description: 'mae: the mean absolute error, in the target\'s units' },
  task: 'regression',
  goal: 'minimize',
  sklearn: 'mean_absolute_error(y, p)',
  score: (set) => sumOfErrors(set, Math.abs) / set.truth.length,
});
