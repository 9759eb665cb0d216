import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { macroF1, perClassScores, predictedClasses, rocAuc } from './classification-scores.js';
import { createRng } from './random.js';

const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
if (!hasSklearn && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-sklearn is required here (SPECML_REQUIRE_SKLEARN)');

/** Random predictions that lean toward the truth, with ties (probabilities on a coarse grid). */
function predictions(count: number, classes: number, seed: number) {
  const rng = createRng(seed);
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * classes));
  const probabilities = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    const raw = Array.from({ length: classes }, (_, k) => Math.round((rng.next() + (k === labels[i] ? 0.6 : 0)) * 8) + 1);
    const total = raw.reduce((a, b) => a + b, 0);
    raw.forEach((value, k) => (probabilities[i * classes + k] = value / total));
  }
  return { labels, probabilities };
}

describe.skipIf(!hasSklearn)('classification scores agree with scikit-learn', () => {
  it.each([2, 3, 7])('macro F1, one-vs-rest ROC AUC and per-class precision/recall/F1 with %i classes', (classes) => {
    const { labels, probabilities } = predictions(300, classes, classes);
    const predicted = predictedClasses(probabilities, classes);
    const reference = spawnSync('/usr/bin/python3', ['-c', `
import json, sys, numpy as np
from sklearn.metrics import f1_score, roc_auc_score, precision_recall_fscore_support
data = json.load(sys.stdin)
y, p, k = np.array(data['labels']), np.array(data['probabilities'], dtype=np.float32).reshape(-1, data['classes']), data['classes']
pred = p.argmax(axis=1)
auc = roc_auc_score(y, p[:, 1]) if k == 2 else roc_auc_score(y, p, multi_class='ovr', average='macro', labels=list(range(k)))
precision, recall, f1, support = precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0)
print(json.dumps({'f1': f1_score(y, pred, average='macro'), 'auc': auc, 'perClass': [precision.tolist(), recall.tolist(), f1.tolist(), support.tolist()]}))
`], { input: JSON.stringify({ labels: Array.from(labels), probabilities: Array.from(probabilities), classes }), encoding: 'utf8' });
    expect(reference.status, reference.stderr).toBe(0);
    const expected = JSON.parse(reference.stdout);
    expect(macroF1(labels, predicted, classes)).toBeCloseTo(expected.f1, 12);
    expect(rocAuc(labels, probabilities, classes)).toBeCloseTo(expected.auc, 12);
    const ours = perClassScores(labels, predicted, classes);
    expect([ours.map((s) => s.precision), ours.map((s) => s.recall), ours.map((s) => s.f1), ours.map((s) => s.support)].flat()).toEqual(expected.perClass.flat().map((value: number, i: number) => expect.closeTo(value, 12) ?? i));
  });
});
