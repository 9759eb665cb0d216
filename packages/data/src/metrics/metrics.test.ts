import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { columnGoal, isMetricColumn, metricsColumnsOf } from '../metrics-row.js';
import { createRng } from '../random.js';
import { METRIC_KINDS, METRIC_NAMES, type MetricName } from './index.js';
import type { HeldOutPredictions, MetricKind } from './kind.js';

const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
if (!hasSklearn && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-sklearn is required here (SPECML_REQUIRE_SKLEARN)');

const kindOf = (name: MetricName) => METRIC_KINDS[name] as MetricKind<string>;

/** Seeded predictions that lean toward the truth: `classes` classes' probabilities, or numbers near the truth (classes 1). */
function heldOut(count: number, classes: number, seed: number): HeldOutPredictions {
  const rng = createRng(seed);
  if (classes === 1) {
    const truth = Float32Array.from({ length: count }, () => 10 + 5 * rng.next());
    return { truth, predictions: truth.map((value) => value + 2 * (rng.next() - 0.5)), classes };
  }
  const truth = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * classes));
  const predictions = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    const raw = Array.from({ length: classes }, (_, k) => rng.next() + (k === truth[i] ? 0.5 : 0));
    const total = raw.reduce((a, b) => a + b, 0);
    raw.forEach((value, k) => (predictions[i * classes + k] = value / total));
  }
  return { truth, predictions, classes };
}

/** The same predictions, perfect: each row's truth (a one-hot certainty for a classifier). */
function perfect({ truth, classes }: HeldOutPredictions): HeldOutPredictions {
  if (classes === 1) return { truth, predictions: Float32Array.from(truth), classes };
  const predictions = new Float32Array(truth.length * classes);
  for (let i = 0; i < truth.length; i++) predictions[i * classes + truth[i]] = 1;
  return { truth, predictions, classes };
}

/** Every metric on the sets of its task: a classifier's with 2 and with 5 classes, a regression's. */
const cases = METRIC_NAMES.flatMap((name) =>
  (kindOf(name).task === 'regression' ? [{ name, classes: 1, set: 'a regression' }] : [2, 5].map((classes) => ({ name, classes, set: `${classes} classes` }))),
);

/** scikit-learn's score of every case (one Python process for all), or none without scikit-learn. */
function sklearnScores(sets: readonly HeldOutPredictions[]): number[] {
  const reference = spawnSync('/usr/bin/python3', ['-c', `
import json, sys, numpy as np
from sklearn.metrics import *
scores = []
for case in json.load(sys.stdin):
    k = case['classes']
    y = np.array(case['truth'])
    p = np.array(case['predictions'], dtype=np.float32)
    p = p if k == 1 else p.reshape(-1, k)
    scores.append(float(eval(case['expression'])))
print(json.dumps(scores))
`], { input: JSON.stringify(cases.map(({ name, classes }, index) => ({ classes, expression: kindOf(name).sklearn, truth: Array.from(sets[index].truth), predictions: Array.from(sets[index].predictions) }))), encoding: 'utf8' });
  expect(reference.status, reference.stderr).toBe(0);
  return JSON.parse(reference.stdout);
}

describe('every registered metric', () => {
  it.each(cases)('$name ($set) has its columns in metrics.csv, its goal, and ranks a perfect model first', ({ name, classes }) => {
    const kind = kindOf(name);
    for (const which of ['test', 'validation']) {
      expect(metricsColumnsOf(kind.task, true)).toContain(`${which}_${name}`);
      expect(isMetricColumn(`${which}_${name}`)).toBe(true);
      expect(columnGoal(`${which}_${name}`)).toBe(kind.goal);
    }
    const set = heldOut(200, classes, 3);
    const [best, worse] = [kind.score(perfect(set)), kind.score(set)];
    expect(kind.goal === 'maximize' ? best - worse : worse - best).toBeGreaterThan(0);
  });

  it.skipIf(!hasSklearn)('agrees with scikit-learn to 1e-9, each on the sets of its task', () => {
    const sets = cases.map(({ classes }, index) => heldOut(300, classes, 7 + index));
    const expected = sklearnScores(sets);
    const ours = cases.map(({ name }, index) => kindOf(name).score(sets[index]));
    cases.forEach((entry, index) => expect(ours[index], `${entry.name} on ${entry.set}`).toBeCloseTo(expected[index], 9));
  });
});
