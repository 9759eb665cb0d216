import { metricKind, sumOfErrors } from './kind.js';

export const r2 = metricKind({
  schema: { const: 'r2', description: 'r2: the coefficient of determination, 1 − squared error / the truth\'s squared deviation (undefined for a constant truth)' },
  task: 'regression',
  goal: 'maximize',
  sklearn: 'r2_score(y, p)',
  score: (set) => {
    const { truth } = set;
    let mean = 0;
    for (let i = 0; i < truth.length; i++) mean += truth[i];
    mean /= truth.length;
    let total = 0;
    for (let i = 0; i < truth.length; i++) total += (truth[i] - mean) ** 2;
    return total > 0 ? 1 - sumOfErrors(set, (error) => error * error) / total : Number.NaN;
  },
});
