import { rocAuc } from '../classification-scores.js';
import { metricKind } from './kind.js';

export const auc = metricKind({
  schema: { const: 'auc', description: 'auc: ROC AUC (one-vs-rest, macro, for more than two classes)' },
  task: 'classification',
  goal: 'maximize',
  sklearn: "roc_auc_score(y, p[:, 1]) if k == 2 else roc_auc_score(y, p, multi_class='ovr', average='macro', labels=list(range(k)))",
  score: ({ truth, predictions, classes }) => rocAuc(truth, predictions, classes),
});
