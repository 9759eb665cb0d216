import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { differenceOf, differenceSentence, spreadOf } from './significance.js';

const hasScipy = spawnSync('/usr/bin/python3', ['-c', 'import scipy'], { stdio: 'ignore' }).status === 0;
if (!hasScipy && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-scipy (with python3-sklearn) is required here');

const scipy = (script: string) => JSON.parse(spawnSync('/usr/bin/python3', ['-c', `import json\nfrom scipy import stats\nimport numpy as np\n${script}`], { encoding: 'utf8' }).stdout);

describe.skipIf(!hasScipy)('is the difference real? (against scipy.stats)', () => {
  const a = [0.91, 0.93, 0.9, 0.94, 0.92];
  const b = [0.89, 0.9, 0.885, 0.91, 0.905];
  const keyed = (values: number[]) => values.map((value, i) => ({ key: `fold ${i + 1}`, value }));

  it('gives the mean ± the 95 % interval of a run\'s members', () => {
    const reference = scipy(`x = np.array(${JSON.stringify(a)}); print(json.dumps([x.mean(), x.std(ddof=1), stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))]))`);
    const spread = spreadOf(a);
    expect([spread.mean, spread.std, spread.ci95].map((value, i) => value - reference[i]).every((gap) => Math.abs(gap) < 1e-12)).toBe(true);
  });

  it('pairs members of the same fold (scipy\'s ttest_rel) and falls back to Welch\'s test (ttest_ind, equal_var=False)', () => {
    const paired = differenceOf(keyed(a), keyed(b))!;
    const welch = differenceOf(keyed(a), keyed(b).slice(0, 4).map((member, i) => ({ ...member, key: `seed ${i}` })))!;
    const reference = scipy(`print(json.dumps([stats.ttest_rel(${JSON.stringify(a)}, ${JSON.stringify(b)}).pvalue, stats.ttest_ind(${JSON.stringify(a)}, ${JSON.stringify(b.slice(0, 4))}, equal_var=False).pvalue]))`);
    expect(paired.test).toBe('paired');
    expect(paired.p).toBeCloseTo(reference[0], 10);
    expect(welch.test).toBe('welch');
    expect(welch.p).toBeCloseTo(reference[1], 10);
    expect(differenceSentence('adam', 'sgd', paired, 'validation_accuracy', 'folds', true)).toBe(`"adam" beats "sgd" by 2.2 ± ${(paired.ci95 * 100).toFixed(1)} points of validation accuracy (p = ${paired.p.toFixed(3)}, paired over 5 folds)`);
    const noise = differenceOf(keyed([0.9, 0.8, 0.95, 0.85, 0.9]), keyed([0.88, 0.9, 0.86, 0.87, 0.9]))!;
    expect(differenceSentence('a', 'b', noise, 'validation_accuracy', 'folds', true)).toMatch(/^"a" and "b" differ by [\d.]+ ± [\d.]+ points of validation accuracy: not distinguishable from noise \(p = 0\.\d{3}, paired over 5 folds\)$/);
  });
});
