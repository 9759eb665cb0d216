import { loadDataset, type EpochMetrics } from '@specml/data';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../checkpoint.js';
import { train, type TrainRequest } from '../train.js';
import { EarlyStopping } from './early-stopping.js';

const dataset = await loadDataset({ dataset: 'mnist', trainLimit: 1500, testLimit: 400, validationSplit: 0.2 });
const rows = (losses: number[]): EpochMetrics[] => losses.map((validation_loss, epoch) => ({ epoch, test_loss: 1, validation_loss }));

describe('early stopping (Keras\' EarlyStopping semantics)', () => {
  it('takes the first trained epoch as the best, counts epochs without an improvement larger than minDelta, and stops after patience of them', () => {
    const stopping = new EarlyStopping({ metric: 'validation_loss', patience: 2, minDelta: 0.05, restoreBest: true });
    // Epoch 0 (untrained) is no candidate; 0.9 best; 0.88 is not better by more than 0.05; 0.8 is; then two without.
    const decisions = rows([0.1, 0.9, 0.88, 0.8, 0.79, 0.85]).map((row) => stopping.observe(row));
    expect(decisions).toEqual([
      { improved: false, stop: false },
      { improved: true, stop: false },
      { improved: false, stop: false },
      { improved: true, stop: false },
      { improved: false, stop: false },
      { improved: false, stop: true },
    ]);
    expect(stopping.bestEpochSoFar).toBe(3);
    const accuracy = new EarlyStopping({ metric: 'validation_accuracy', patience: 1, minDelta: 0, restoreBest: false });
    expect([0.5, 0.6, 0.6].map((value, epoch) => accuracy.observe({ epoch, test_loss: 1, validation_accuracy: value }).stop)).toEqual([false, false, true]);
  });

  const request = (backend: TrainRequest['backend']): TrainRequest => ({
    dataset,
    model: { initializer: 'pytorch', layers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }] },
    optimizer: { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    backend,
    batchSize: 32,
    epochs: 40,
    seed: 3,
    shuffle: true,
    earlyStopping: { metric: 'validation_loss', patience: 3, minDelta: 0, restoreBest: true },
  });
  const accuracyOf = (probabilities: Float32Array) => {
    let correct = 0;
    for (let i = 0; i < dataset.test.count; i++) {
      const row = Array.from(probabilities.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === dataset.test.labels[i]) correct++;
    }
    return correct / dataset.test.count;
  };

  it.each(['native', 'wasm'] as const)('on %s: stops patience epochs after the best validation loss and keeps that epoch\'s weights, also when resumed in between', async (backend) => {
    const checkpoints: Checkpoint[] = [];
    const handed: Checkpoint[] = [];
    const result = await train(request(backend), {
      onCheckpoint: (checkpoint) => {
        handed.push(checkpoint);
        checkpoints.push(decodeCheckpoint(encodeCheckpoint(checkpoint), 'memory'));
      },
    });
    // A checkpoint is its receiver's to keep: later epochs do not overwrite the best weights it was handed.
    handed.forEach((checkpoint, k) => expect(checkpoint.best?.weights).toEqual(checkpoints[k].best?.weights));
    const trained = result.metrics.filter((row) => row.epoch > 0);
    const best = trained.reduce((top, row) => (row.validation_loss! < top.validation_loss! ? row : top));
    expect(result.stoppedEarly).toBe(true);
    expect(result.restoredEpoch).toBe(best.epoch);
    expect(result.metrics.at(-1)!.epoch - best.epoch).toBe(3);
    // The predictions written beside the model are the best epoch's: exactly its test accuracy.
    expect(accuracyOf(result.testPredictions)).toBe(best.test_accuracy);
    // Killed after the best epoch and resumed from that checkpoint: the same decision and the same weights.
    const between = checkpoints.find((checkpoint) => checkpoint.epoch === best.epoch + 1)!;
    expect(between.best?.epoch).toBe(best.epoch);
    const resumed = await train({ ...request(backend), resume: between });
    expect(resumed.restoredEpoch).toBe(best.epoch);
    expect(resumed.metrics.map(({ epoch_seconds: _, samples_per_second: __, ...row }) => row)).toEqual(result.metrics.map(({ epoch_seconds: _, samples_per_second: __, ...row }) => row));
    expect(accuracyOf(resumed.testPredictions)).toBe(best.test_accuracy);
    // Without checkpoints each better epoch's weights overwrite the last best's copy: the same model at the end.
    const unwatched = await train(request(backend));
    expect(unwatched.restoredEpoch).toBe(best.epoch);
    expect(accuracyOf(unwatched.testPredictions)).toBe(best.test_accuracy);
    expect(unwatched.model.getWeights().map((tensor) => tensor.dataSync())).toEqual(result.model.getWeights().map((tensor) => tensor.dataSync()));
    result.model.dispose();
    resumed.model.dispose();
    unwatched.model.dispose();
  });
});
