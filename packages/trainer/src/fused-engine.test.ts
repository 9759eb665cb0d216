import { createRng, loadDataset, randomPermutation } from '@specml/data';
import { denseStackOf, initialWeights, PRESETS, type ModelSpec } from '@specml/model-zoo';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './backend.js';
import { FusedEngine, fusability } from './fused-engine.js';
import type { OptimizerSpec } from './schema.js';
import { TfjsEngine } from './tfjs-engine.js';

const dataset = loadDataset({ dataset: 'mnist', trainLimit: 1500, testLimit: 1000, shuffle: true });
const input = { imageShape: dataset.imageShape };
/** The baseline's model: the tutorial's 784-64-64-64-10 stack with PyTorch's initialisation. */
const model: ModelSpec = { initializer: PRESETS['mlp-tutorial'].initializer, layers: [...PRESETS['mlp-tutorial'].layers] };

/** Runs both engines from the same initial weights over the same 100 batches of 15, step by step. */
function stepLosses(spec: ModelSpec, optimizer: OptimizerSpec, steps = 100, batchSize = 15) {
  const stack = denseStackOf(spec, input)!;
  const rng = createRng(3);
  const initial = initialWeights(spec, input, rng);
  const order = randomPermutation(dataset.train.count, rng);
  const fused = new FusedEngine(stack, initial, optimizer, dataset.train, batchSize);
  const reference = new TfjsEngine('wasm', stack, initial, optimizer, dataset.train, batchSize);
  const losses: Array<[number, number]> = [];
  for (let step = 0; step < steps; step++) {
    const start = step * batchSize;
    losses.push([fused.trainRange(order, start, start + batchSize).lossSum, reference.trainRange(order, start, start + batchSize).lossSum]);
  }
  const accuracies = [fused.evaluate(dataset.test).correct, reference.evaluate(dataset.test).correct];
  reference.dispose();
  return { losses, accuracies };
}

describe('fused dense-stack kernel', () => {
  it('is built (npm ci compiles it; CI must exercise it)', () => {
    expect(fusability(denseStackOf(model, input), { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }))
      .toEqual({ fusable: true });
  });

  it.each<OptimizerSpec>([
    { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    { name: 'sgd', learningRate: 0.3 },
    { name: 'momentum', learningRate: 0.05, momentum: 0.9, nesterov: true },
  ])('matches the tfjs path step by step for 100 steps of $name (losses within 1e-4 relative)', async (optimizer) => {
    await selectBackend('wasm', { fusable: false, reason: 'test' });
    const { losses, accuracies } = stepLosses(model, optimizer);
    for (const [fused, reference] of losses) {
      expect(Math.abs(fused - reference) / Math.abs(reference)).toBeLessThan(1e-4);
    }
    // The loss actually fell, so the agreement is not between two untrained models.
    const meanLoss = (rows: Array<[number, number]>) => rows.reduce((sum, [, loss]) => sum + loss, 0) / rows.length;
    expect(meanLoss(losses.slice(-10))).toBeLessThan(meanLoss(losses.slice(0, 10)) * 0.8);
    expect(Math.abs(accuracies[0] - accuracies[1])).toBeLessThanOrEqual(3); // of 1000 test images: 0.3 points
  });

  it('matches tfjs for sigmoid, tanh and linear hidden layers', async () => {
    await selectBackend('wasm', { fusable: false, reason: 'test' });
    const mixed: ModelSpec = {
      initializer: 'glorotUniform',
      layers: [
        { type: 'dense', units: 32, activation: 'sigmoid' },
        { type: 'dense', units: 16, activation: 'tanh' },
        { type: 'dense', units: 16, activation: 'linear' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    };
    const { losses } = stepLosses(mixed, { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 45, 32);
    for (const [fused, reference] of losses) expect(Math.abs(fused - reference) / reference).toBeLessThan(1e-4);
  });

  it('throws a RangeError instead of reading past the images', () => {
    const stack = denseStackOf(model, input)!;
    const initial = initialWeights(model, input, createRng(1));
    const engine = new FusedEngine(stack, initial, { name: 'sgd', learningRate: 0.1 }, dataset.train, 15);
    expect(() => engine.trainRange(Uint32Array.of(0, dataset.train.count), 0, 2)).toThrow('order holds an index past the last image');
    expect(() => engine.trainRange(Uint32Array.of(0, 1), 0, 3)).toThrow('need 0 <= start <= end <= order.length');
  });

  it('refuses optimizers and activations it does not implement, saying which', () => {
    const stack = denseStackOf(model, input)!;
    expect(fusability(stack, { name: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: 1e-8 })).toEqual({
      fusable: false,
      reason: 'it supports the optimizers sgd, momentum, adam, not rmsprop',
    });
  });
});
