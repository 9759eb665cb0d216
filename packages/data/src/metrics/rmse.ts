import { metricKind, sumOfErrors } from './kind.js';

export const rmse = metricKind({
  schema: { const: 'rmse', description: 'rmse: the root mean squared error, in the target\'s units' },
  task: 'regression',
  goal: 'minimize',
  sklearn: 'np.sqrt(mean_squared_error(y, p))',
  score: (set) => Math.sqrt(sumOfErrors(set, (error) => error * error) / set.truth.length),
});
