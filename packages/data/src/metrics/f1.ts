import { macroF1, predictedClasses } from '../classification-scores.js';
import { metricKind } from './kind.js';

export const f1 = metricKind({
  schema: { const: 'f1', description: 'f1: macro F1 of the most probable classes (scikit-learn\'s f1_score, average=macro)' },
  task: 'classification',
  goal: 'maximize',
  sklearn: "f1_score(y, p.argmax(axis=1), average='macro')",
  score: ({ truth, predictions, classes }) => macroF1(truth, predictedClasses(predictions, classes), classes),
});
