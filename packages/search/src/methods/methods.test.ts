import { describe, expect, it } from 'vitest';
import { seededUniform, type Observation, type Space } from '../space.js';
import { goodCount, trialWeights } from '../tpe.js';
import { SEARCH_METHOD_NAMES, SEARCH_METHODS } from './index.js';

const space: Space = {
  lr: { kind: 'logUniform', min: 1e-4, max: 1 },
  units: { kind: 'intUniform', min: 8, max: 64 },
  activation: { kind: 'values', values: ['relu', 'tanh'] },
};
const setting = (method: keyof typeof SEARCH_METHODS, extra: Partial<{ trials: number; options: Record<string, unknown> }> = {}) =>
  SEARCH_METHODS[method].create({ space, goal: 'minimize', seed: 4, trials: 6, options: {}, ...extra });

describe('the search method registry', () => {
  it('lists grid, random and bayes, each saying what it searches', () => {
    expect(SEARCH_METHOD_NAMES).toEqual(['grid', 'random', 'bayes']);
    expect(SEARCH_METHOD_NAMES.filter((name) => SEARCH_METHODS[name].searchesRanges)).toEqual(['random', 'bayes']);
    expect(SEARCH_METHOD_NAMES.filter((name) => SEARCH_METHODS[name].adaptive)).toEqual(['bayes']);
  });

  it('grid: every combination, the first key varying slowest', () => {
    const values: Space = { a: { kind: 'values', values: [1, 2] }, b: { kind: 'values', values: ['x', 'y', 'z'] } };
    expect(SEARCH_METHODS.grid.trialCount(values)).toBe(6);
    const grid = SEARCH_METHODS.grid.create({ space: values, goal: 'maximize', seed: 1, trials: 6, options: {} });
    expect([1, 2, 3, 4, 5, 6].map((index) => grid.ask(index, [], []))).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
  });

  it('random: trial k is the same whoever asks and in what order, and stays in its ranges', () => {
    const once = setting('random');
    const again = setting('random');
    const forwards = [1, 2, 3, 4, 5, 6].map((index) => once.ask(index, [], []));
    expect([6, 5, 4, 3, 2, 1].map((index) => again.ask(index, [], [])).reverse()).toEqual(forwards);
    for (const proposal of forwards) {
      expect(proposal.lr as number).toBeGreaterThanOrEqual(1e-4);
      expect(Number.isInteger(proposal.units)).toBe(true);
    }
  });

  it('bayes: learns from what finished (and the same history gets the same proposal), per key or jointly', () => {
    const history: Observation[] = [];
    const uniform = seededUniform('history');
    // Good trials have lr near 0.01: after 20 of them, proposals should be much nearer than random ones.
    for (let index = 0; index < 20; index++) {
      const proposal = { lr: 10 ** (-4 + 4 * uniform()), units: 8 + Math.floor(uniform() * 57), activation: uniform() < 0.5 ? 'relu' : 'tanh' };
      history.push({ proposal, value: Math.abs(Math.log10(proposal.lr) + 2) });
    }
    for (const multivariate of [true, false]) {
      const bayes = setting('bayes', { trials: 40, options: { multivariate } });
      const proposals = Array.from({ length: 20 }, (_, k) => bayes.ask(21 + k, history, []));
      const distance = proposals.reduce((sum, proposal) => sum + Math.abs(Math.log10(proposal.lr as number) + 2), 0) / proposals.length;
      expect(distance, `multivariate ${multivariate}`).toBeLessThan(0.6); // random: 1.0 on average
      expect(setting('bayes', { trials: 40, options: { multivariate } }).ask(21, history, [])).toEqual(proposals[0]);
    }
  });
});

describe('TPE as Optuna builds it', () => {
  it('counts 10 % of the trials as good, at least one, at most 25', () => {
    expect([1, 9, 10, 11, 100, 249, 251, 1000].map(goodCount)).toEqual([1, 1, 1, 2, 10, 25, 25, 25]);
  });

  it('weighs trials equally up to 25, then the older ones less and less', () => {
    expect(trialWeights(24)).toEqual(new Array(24).fill(1));
    const weights = trialWeights(30);
    expect(weights.slice(5)).toEqual(new Array(25).fill(1));
    expect(weights[0]).toBeCloseTo(1 / 30, 10);
    for (let i = 1; i < 5; i++) expect(weights[i]).toBeGreaterThan(weights[i - 1]);
  });
});
