import { predictedClasses } from '../classification-scores.js';
import { metricKind } from './kind.js';

export const accuracy = metricKind({
  schema: { const: 'accuracy', description: 'accuracy: the share of rows whose most probable class is the true one' },
  task: 'classification',
  goal: 'maximize',
  sklearn: 'accuracy_score(y, p.argmax(axis=1))',
  score: ({ truth, predictions, classes }) => {
    const predicted = predictedClasses(predictions, classes);
    let correct = 0;
    for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
    return correct / truth.length;
  },
});
