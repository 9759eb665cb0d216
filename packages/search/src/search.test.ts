import { describe, expect, it } from 'vitest';
import { SuccessiveHalving } from './asha.js';
import { randomProposal, seededUniform, type Goal, type Observation, type Proposal, type Space } from './space.js';
import { tpeProposal } from './tpe.js';

const space: Space = {
  'optimizer.learningRate': { kind: 'logUniform', min: 1e-5, max: 1 },
  'optimizer.beta1': { kind: 'uniform', min: 0.5, max: 0.99 },
  epochs: { kind: 'intUniform', min: 1, max: 8 },
  batchSize: { kind: 'values', values: [16, 32, 64, 128] },
};

describe('random proposals', () => {
  it('are the same for the same seed, different for another, and stay in their ranges', () => {
    const draw = (seed: number) => {
      const uniform = seededUniform(seed);
      return Array.from({ length: 200 }, () => randomProposal(space, uniform));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(8)).not.toEqual(draw(7));
    const proposals = draw(7);
    for (const proposal of proposals) {
      expect(proposal['optimizer.learningRate']).toBeGreaterThanOrEqual(1e-5);
      expect(proposal['optimizer.learningRate']).toBeLessThanOrEqual(1);
      expect(Number.isInteger(proposal.epochs)).toBe(true);
      expect([16, 32, 64, 128]).toContain(proposal.batchSize);
    }
    // Log-uniform: about a fifth of the draws in each decade of [1e-5, 1].
    const belowMilli = proposals.filter((proposal) => (proposal['optimizer.learningRate'] as number) < 1e-3).length / proposals.length;
    expect(belowMilli).toBeGreaterThan(0.3);
    expect(belowMilli).toBeLessThan(0.5);
    expect(new Set(proposals.map((proposal) => proposal.epochs))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  });
});

/** A synthetic tuning problem: best at learning rate 10^-2.5, beta1 0.9, 5 epochs, batch 32 (maximum 0). */
function objective(proposal: Proposal): number {
  return (
    -((Math.log10(proposal['optimizer.learningRate'] as number) + 2.5) ** 2) -
    4 * ((proposal['optimizer.beta1'] as number) - 0.9) ** 2 -
    0.05 * ((proposal.epochs as number) - 5) ** 2 -
    (proposal.batchSize === 32 ? 0 : 0.3)
  );
}

function bestAfter(budget: number, seed: number, propose: (history: Observation[], uniform: () => number) => Proposal, goal: Goal = 'maximize'): number {
  const uniform = seededUniform(seed);
  const history: Observation[] = [];
  for (let trial = 0; trial < budget; trial++) {
    const proposal = propose(history, uniform);
    const value = objective(proposal);
    history.push({ proposal, value: goal === 'maximize' ? value : -value });
  }
  const values = history.map((observation) => observation.value);
  return goal === 'maximize' ? Math.max(...values) : -Math.min(...values);
}

describe('TPE', () => {
  it('finds better values than random search with the same budget of 30 trials on most of 40 seeds', () => {
    const seeds = Array.from({ length: 40 }, (_, seed) => seed + 1);
    const outcomes = seeds.map((seed) => ({
      tpe: bestAfter(30, seed, (history, uniform) => tpeProposal(space, history, 'maximize', uniform)),
      random: bestAfter(30, seed, (_, uniform) => randomProposal(space, uniform)),
    }));
    const wins = outcomes.filter(({ tpe, random }) => tpe > random).length;
    const mean = (key: 'tpe' | 'random') => outcomes.reduce((sum, outcome) => sum + outcome[key], 0) / outcomes.length;
    // Seeded, so the same every run. Measured: TPE's best is better on 26 of the 40 seeds, and its mean best
    // is -0.200 against random search's -0.326 (the optimum is 0; before the Optuna-like TPE: -0.286).
    expect(wins).toBeGreaterThan(seeds.length / 2);
    expect(mean('tpe')).toBeGreaterThan(mean('random'));
  });

  it('minimises as well as it maximises', () => {
    const seeds = Array.from({ length: 20 }, (_, seed) => seed + 100);
    const wins = seeds.filter((seed) => {
      const tpe = bestAfter(30, seed, (history, uniform) => tpeProposal(space, history, 'minimize', uniform), 'minimize');
      const random = bestAfter(30, seed, (_, uniform) => randomProposal(space, uniform), 'minimize');
      return tpe > random;
    }).length;
    expect(wins).toBeGreaterThan(seeds.length / 2);
  });

  it('sends a second worker elsewhere: a pending trial counts as bad until it reports (constant liar)', () => {
    const history: Observation[] = [];
    const uniform = seededUniform(7);
    for (let index = 0; index < 12; index++) {
      const proposal = randomProposal(space, uniform);
      history.push({ proposal, value: objective(proposal) });
    }
    const proposals = Array.from({ length: 8 }, (_, index) => {
      const first = tpeProposal(space, history, 'maximize', seededUniform(`first:${index}`));
      // The same random stream, with the first still running: a different point.
      const second = tpeProposal(space, history, 'maximize', seededUniform(`first:${index}`), undefined, [first]);
      return { first, second };
    });
    expect(proposals.filter(({ first, second }) => JSON.stringify(first) === JSON.stringify(second))).toEqual([]);
  });

  it('draws at random until it has enough finished trials, reproducibly', () => {
    const first = tpeProposal(space, [], 'maximize', seededUniform(3));
    expect(first).toEqual(randomProposal(space, seededUniform(3)));
  });
});

describe('asynchronous successive halving', () => {
  it('puts rungs at minEpochs·eta^k below the last epoch', () => {
    expect(new SuccessiveHalving({ minEpochs: 1, eta: 3, goal: 'maximize' }).rungs(27)).toEqual([1, 3, 9]);
    expect(new SuccessiveHalving({ minEpochs: 2, eta: 2, goal: 'maximize' }).rungs(16)).toEqual([2, 4, 8]);
  });

  it('lets the first trial at a rung go on, then each only if it is in the top 1/eta of those before it (Ray\'s rule)', () => {
    const asha = new SuccessiveHalving({ minEpochs: 1, eta: 3, goal: 'maximize' });
    expect(asha.report(1, 0.5, 9)).toBe('continue'); // the first at the rung
    expect(asha.report(1, 0.9, 9)).toBe('continue'); // the cutoff is 0.5, the only value before it
    expect(asha.report(1, 0.6, 9)).toBe('stop'); // below 0.5 + (0.9 − 0.5)·2/3 = 0.767
    expect(asha.report(1, 0.95, 9)).toBe('continue'); // above 0.6 + (0.9 − 0.6)·1/3 = 0.7
    expect(asha.report(1, 0.7, 9)).toBe('stop'); // below the 2/3 quantile of 0.5, 0.6, 0.9, 0.95 (0.9)
    expect(asha.report(2, 0.1, 9)).toBe('continue'); // not a rung
    expect(asha.report(3, 0.1, 9)).toBe('continue'); // the first at rung 3
    expect(asha.report(1, Number.NaN, 9)).toBe('stop');
    const second = new SuccessiveHalving({ minEpochs: 1, eta: 3, goal: 'maximize' });
    expect(second.report(1, 0.8, 9)).toBe('continue');
    expect(second.report(1, 0.7, 9)).toBe('stop'); // worse than the one trial before it
  });

  it('ranks the other way round for a metric to minimise', () => {
    const asha = new SuccessiveHalving({ minEpochs: 2, eta: 2, goal: 'minimize' });
    expect(asha.report(2, 0.3, 8)).toBe('continue');
    expect(asha.report(2, 0.5, 8)).toBe('stop');
    expect(asha.report(2, 0.1, 8)).toBe('continue');
  });
});
