import { loadDataset } from '@specml/data';
import { describe, expect, it } from 'vitest';
import { SCHEDULE_KINDS } from './schedules/index.js';
import { learningRateAt } from './schema.js';
import { train } from './train.js';

describe('learning-rate schedules', () => {
  it('computes the rate per epoch from the optimizer\'s', () => {
    const rates = (schedule: Parameters<typeof learningRateAt>[0]) => [1, 2, 3, 4, 5].map((epoch) => learningRateAt(schedule, 0.1, epoch, 5));
    expect(rates(undefined)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(rates({ type: 'step', everyEpochs: 2, factor: 0.5 })).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    expect(rates({ type: 'exponential', factor: 0.5 }).map((rate) => Number(rate.toFixed(6)))).toEqual([0.1, 0.05, 0.025, 0.0125, 0.00625]);
    expect(rates({ type: 'cosine', minLearningRate: 0 }).map((rate) => Number(rate.toFixed(6)))).toEqual([0.1, 0.085355, 0.05, 0.014645, 0]);
  });

  it('reduces the rate on a plateau as Keras\' ReduceLROnPlateau does, from the epochs trained so far', () => {
    const schedule = { type: 'plateau', metric: 'validation_loss', factor: 0.5, patience: 2, minDelta: 0.01, minLearningRate: 0.03 } as const;
    // Losses: 1.0 best, 0.995 (not better by 0.01), 0.99 (not): reduce after epoch 3; 0.5 better; then 0.6, 0.7: reduce; then floor.
    const losses = [1.0, 0.995, 0.992, 0.5, 0.6, 0.7, 0.8, 0.9];
    const rows = [{ epoch: 0, test_loss: 2, validation_loss: 0.1 }, ...losses.map((validation_loss, i) => ({ epoch: i + 1, test_loss: 1, validation_loss }))];
    const rates = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((epoch) => learningRateAt(schedule, 0.1, epoch, 9, rows));
    expect(rates).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03]);
  });

  it.each(['native', 'wasm'] as const)('is applied by the %s backend: a rate cut to almost nothing freezes the model', async (backend) => {
    const dataset = await loadDataset({ dataset: 'mnist', trainLimit: 1500, testLimit: 300, shuffle: true });
    const run = (factor: number) =>
      train({
        dataset,
        model: { initializer: 'pytorch', layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }] },
        optimizer: { name: 'sgd', learningRate: 0.1 },
        schedule: { type: 'step', everyEpochs: 1, factor },
        backend,
        batchSize: 32,
        epochs: 3,
        seed: 1,
        shuffle: true,
      });
    const frozen = await run(1e-9);
    const losses = frozen.metrics.map((row) => row.test_loss);
    expect(Math.abs(losses[3] - losses[1])).toBeLessThan(1e-5);
    const learning = await run(1);
    expect(learning.metrics[3].test_loss).toBeLessThan(learning.metrics[1].test_loss - 0.01);
  });
});

describe('every registered schedule', () => {
  /** The schedule's spec with its schema's defaults, as a spec naming only its type gets them. */
  const withDefaults = (schema: { properties: Record<string, { const?: string; default?: unknown }> }) =>
    Object.fromEntries(Object.entries(schema.properties).flatMap(([key, property]): [string, unknown][] => (key === 'type' ? [[key, property.const]] : property.default === undefined ? [] : [[key, property.default]])));
  // A validation loss that improves, then stalls: every kind of schedule has something to react to.
  const rows = [0.9, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7].map((validation_loss, i) => ({ epoch: i + 1, test_loss: 1, train_loss: 1, validation_loss }));

  it.each(Object.entries(SCHEDULE_KINDS))('%s starts at the optimizer\'s rate in epoch 1, is never negative or infinite, and gives an epoch the same rate whenever asked', (_, kind) => {
    const schedule = withDefaults(kind.schema) as Parameters<typeof learningRateAt>[0];
    const rates = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((epoch) => learningRateAt(schedule, 0.1, epoch, 10, rows));
    expect(rates[0]).toBe(0.1);
    expect(rates.every((rate) => Number.isFinite(rate) && rate >= 0)).toBe(true);
    expect(new Set(rates).size).toBeGreaterThan(1);
    // As a resumed run asks: epoch by epoch, with only the rows before it.
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((epoch) => learningRateAt(schedule, 0.1, epoch, 10, rows.slice(0, epoch - 1)))).toEqual(rates);
  });
});
