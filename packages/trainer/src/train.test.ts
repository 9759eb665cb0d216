import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tf = require('@tensorflow/tfjs-core');
import { loadDataset, UserError } from '@specml/data';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint.js';
import { loadModel, saveModel } from './model-io.js';
import type { OptimizerSpec } from './schema.js';
import { predictExamples, train, TrainingDivergedError, type EpochMetrics, type TrainRequest } from './train.js';

const dataset = await loadDataset({ dataset: 'mnist', trainLimit: 2000, testLimit: 500, shuffle: true });
const adam: OptimizerSpec = { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const request = (overrides: Partial<TrainRequest> = {}): TrainRequest => ({
  dataset,
  model: {
    initializer: 'pytorch',
    layers: [
      { type: 'dense', units: 32, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  optimizer: adam,
  backend: 'wasm',
  batchSize: 32,
  epochs: 2,
  seed: 1,
  shuffle: true,
  ...overrides,
});
const withoutTimings = (rows: EpochMetrics[]) => rows.map(({ epoch_seconds, samples_per_second, ...rest }) => rest);

describe('train', () => {
  it('learns on the tfjs path: chance before training, better after each epoch, no leaked tensors', async () => {
    const tensorsAtEpochEnd: number[] = [];
    const result = await train(request({ epochs: 3 }), { onEpochEnd: () => void tensorsAtEpochEnd.push(tf.memory().numTensors) });
    const accuracy = result.metrics.map((row) => row.test_accuracy);
    expect(result.backend).toEqual({ name: 'wasm', tfjsBackend: 'wasm' });
    expect(accuracy[0]).toBeLessThan(0.25);
    expect(accuracy[3]).toBeGreaterThan(0.8);
    expect(result.metrics[0].train_loss).toBeUndefined();
    expect(result.metrics[1].train_accuracy).toBeGreaterThan(0.5);
    expect(result.metrics[1].samples_per_second).toBeGreaterThan(0);
    // Variables and optimizer slots exist from epoch 1 on; nothing may accumulate after that.
    expect(tensorsAtEpochEnd[3]).toBe(tensorsAtEpochEnd[1]);
    result.model.dispose();
  });

  it.each(['wasm', 'native'] as const)('gives identical metrics for the same spec and seed on %s', async (backend) => {
    const first = await train(request({ backend }));
    const second = await train(request({ backend }));
    const third = await train(request({ backend, seed: 2 }));
    expect(withoutTimings(second.metrics)).toEqual(withoutTimings(first.metrics));
    expect(withoutTimings(third.metrics)).not.toEqual(withoutTimings(first.metrics));
    [first, second, third].forEach((run) => run.model.dispose());
  });

  it('puts the trained weights into the tfjs model, which predicts what the engine evaluated', async () => {
    const result = await train(request({ backend: 'native' }));
    const { predicted } = predictExamples(result.model, dataset.test, dataset.inputShape, dataset.test.count);
    const correct = predicted.filter((label, i) => label === dataset.test.labels[i]).length;
    expect(correct / dataset.test.count).toBeCloseTo(result.metrics.at(-1)!.test_accuracy!, 6);
    // The engine's own test probabilities (used for the run's pictures) agree with the saved model's.
    const fromEngine = Array.from({ length: dataset.test.count }, (_, i) => {
      const row = Array.from(result.testPredictions.subarray(i * 10, i * 10 + 10));
      return row.indexOf(Math.max(...row));
    });
    expect(fromEngine).toEqual(predicted);
    result.model.dispose();
  });

  it.each(['wasm', 'native'] as const)('stops with TrainingDivergedError when the loss overflows on %s', async (backend) => {
    const linearHidden = {
      initializer: 'pytorch' as const,
      layers: [
        { type: 'dense' as const, units: 32, activation: 'linear' as const },
        { type: 'dense' as const, units: 10, activation: 'softmax' as const },
      ],
    };
    const diverging = request({ backend, model: linearHidden, optimizer: { name: 'sgd', learningRate: 1000 }, epochs: 3 });
    const failure = train(diverging);
    await expect(failure).rejects.toBeInstanceOf(TrainingDivergedError);
    await expect(failure).rejects.toThrow('the training loss became NaN or infinite in epoch 1');
  });

  it('refuses an explicit backend that is not installed, saying why and what to use', async () => {
    const attempt = train(request({ backend: 'tensorflow' }));
    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toThrow(/^backend: tensorflow is not available: @tensorflow\/tfjs-node is not installed .*\(use backend: auto\)$/);
  });

  it('auto picks native for every model, and fused is its old name', async () => {
    const rmsprop: OptimizerSpec = { name: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: 1e-8 };
    const auto = await train(request({ backend: 'auto', epochs: 0, optimizer: rmsprop }));
    expect(auto.backend).toEqual({ name: 'native', tfjsBackend: 'cpu' });
    const fused = await train(request({ backend: 'fused', epochs: 0 }));
    expect(fused.backend.name).toBe('native');
  });

  it('refuses backend: native for a spec it cannot train, naming the layer; auto falls back to tfjs and says why', async () => {
    const model = {
      initializer: 'heNormal' as const,
      layers: [
        { type: 'conv2d' as const, filters: 2, kernelSize: 3, strides: 1, padding: 'valid' as const, activation: 'softmax' as const },
        { type: 'dense' as const, units: 10, activation: 'softmax' as const },
      ],
    };
    const reason = 'model.layers[0] (conv2d) has a softmax activation, which the native engine applies to dense layers only';
    const refused = train(request({ backend: 'native', model, epochs: 0 }));
    await expect(refused).rejects.toBeInstanceOf(UserError);
    await expect(refused).rejects.toThrow(`backend: native cannot train this spec: ${reason} (use backend: auto)`);
    const auto = await train(request({ backend: 'auto', model, epochs: 0 }));
    expect(auto.backend).toMatchObject({ tfjsBackend: expect.stringMatching(/^(tensorflow|wasm)$/), nativeRefusal: reason });
  });
});

describe('checkpoints', () => {
  const momentum: OptimizerSpec = { name: 'momentum', learningRate: 0.01, momentum: 0.9, nesterov: false };
  it.each([
    ['native', adam],
    ['wasm', adam],
    ['wasm', momentum],
  ] as const)('resuming on %s (%o) after epoch 2 gives exactly the uninterrupted metrics', async (backend, optimizer) => {
    const checkpoints: Checkpoint[] = [];
    const full = await train(request({ backend, optimizer, epochs: 4 }), { onCheckpoint: (checkpoint) => void checkpoints.push(checkpoint) });
    expect(checkpoints.map((checkpoint) => checkpoint.epoch)).toEqual([0, 1, 2, 3, 4]);
    // Decoded from a Node Buffer at an offset inside a larger allocation, as readFileSync may return it.
    const encoded = encodeCheckpoint(checkpoints[2]);
    const pool = Buffer.alloc(encoded.length + 12);
    pool.set(encoded, 12);
    const saved = decodeCheckpoint(pool.subarray(12), 'test');
    expect(saved.metrics).toHaveLength(3);
    const resumed = await train(request({ backend, optimizer, epochs: 4, resume: saved }));
    expect(withoutTimings(resumed.metrics)).toEqual(withoutTimings(full.metrics));
    const weights = (model: typeof full.model) => model.getWeights().flatMap((tensor) => Array.from(tensor.dataSync()));
    expect(weights(resumed.model)).toEqual(weights(full.model));
    full.model.dispose();
    resumed.model.dispose();
  });

  it('saves by elapsed time when asked: sub-second epochs save none, not even the last one or the one a stop ends on', async () => {
    const epochsOf = async (overrides: Partial<TrainRequest>, stopAt?: number) => {
      const saved: number[] = [];
      const result = await train(request({ backend: 'native', epochs: 4, ...overrides }), {
        onCheckpoint: (checkpoint) => void saved.push(checkpoint.epoch),
        onEpochEnd: (row) => (row.epoch === stopAt ? 'stop' : 'continue'),
      });
      result.model.dispose();
      return saved;
    };
    expect(await epochsOf({})).toEqual([0, 1, 2, 3, 4]);
    expect(await epochsOf({ checkpointSeconds: 3600 })).toEqual([]);
    expect(await epochsOf({ checkpointSeconds: 3600 }, 2)).toEqual([]);
    expect(await epochsOf({ checkpointSeconds: 0 }, 2)).toEqual([0, 1, 2]);
  });

  it('tells onTrainingEnd every row once the last epoch is recorded, before the last checkpoint is saved', async () => {
    const events: string[] = [];
    const result = await train(request({ backend: 'native', epochs: 3 }), {
      onEpochEnd: (row) => void events.push(`epoch ${row.epoch}`),
      onCheckpoint: (checkpoint) => void events.push(`checkpoint ${checkpoint.epoch}`),
      onTrainingEnd: (rows) => void events.push(`end ${rows.map((row) => row.epoch).join(',')}`),
    });
    result.model.dispose();
    expect(events).toEqual(['epoch 0', 'checkpoint 0', 'epoch 1', 'checkpoint 1', 'epoch 2', 'checkpoint 2', 'epoch 3', 'end 0,1,2,3', 'checkpoint 3']);
  });

  it('refuses to resume a checkpoint on another backend', async () => {
    const checkpoints: Checkpoint[] = [];
    await train(request({ backend: 'native', epochs: 1 }), { onCheckpoint: (checkpoint) => void checkpoints.push(checkpoint) });
    await expect(train(request({ backend: 'wasm', resume: checkpoints[1] }))).rejects.toThrow(
      'backend: the checkpoint was written by the native backend, this run would use wasm (resume with --backend native)',
    );
  });

  it('rejects a truncated checkpoint file', () => {
    const bytes = encodeCheckpoint({
      epoch: 0,
      backend: 'native',
      rngState: { c: 1, s0: 0.1, s1: 0.2, s2: 0.3 },
      metrics: [],
      weights: [new Float32Array(6), new Float32Array(2)],
      optimizer: { step: 0, tensors: [], scalars: [] },
    });
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), 'ck.bin')).toThrow(/^ck\.bin: not a usable checkpoint: expected \d+ bytes, found \d+$/);
    expect(() => decodeCheckpoint(new Uint8Array(20), 'ck.bin')).toThrow('ck.bin: not a usable checkpoint: wrong magic bytes');
  });
});

describe('saveModel / loadModel', () => {
  it('writes the tfjs layers format and loads back a model with the same predictions', async () => {
    const { model } = await train(request({ backend: 'native', epochs: 1 }));
    const dir = join(mkdtempSync(join(tmpdir(), 'specml-model-')), 'model');
    await saveModel(model, dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(readFileSync(join(dir, 'weights.bin')).length).toBe((784 * 32 + 32 + 32 * 10 + 10) * 4);
    const loaded = await loadModel(dir);
    const before = predictExamples(model, dataset.test, dataset.inputShape, 50);
    const after = predictExamples(loaded, dataset.test, dataset.inputShape, 50);
    expect(Array.from(after.probabilities)).toEqual(Array.from(before.probabilities));
  });
});

const small = await loadDataset({ dataset: 'mnist', trainLimit: 600, testLimit: 200, shuffle: true });

describe('models beyond dense stacks', () => {
  const convNet = {
    initializer: 'heNormal' as const,
    layers: [
      { type: 'conv2d' as const, filters: 4, kernelSize: 3, strides: 1, padding: 'valid' as const, activation: 'relu' as const },
      { type: 'maxPooling2d' as const, poolSize: 2 },
      { type: 'batchNormalization' as const, momentum: 0.9, epsilon: 0.001 },
      { type: 'dropout' as const, rate: 0.2 },
      { type: 'dense' as const, units: 10, activation: 'softmax' as const },
    ],
  };
  const convRequest = (overrides: Partial<TrainRequest> = {}) => request({ dataset: small, model: convNet, backend: 'wasm', epochs: 2, ...overrides });

  it.each(['wasm', 'native'] as const)('trains a conv net with pooling, batch norm and dropout on %s, reproducibly', async (backend) => {
    const first = await train(convRequest({ backend }));
    expect(first.backend.name).toBe(backend);
    expect(first.metrics.at(-1)!.test_accuracy).toBeGreaterThan(first.metrics[0].test_accuracy! + 0.3);
    const second = await train(convRequest({ backend }));
    expect(withoutTimings(second.metrics)).toEqual(withoutTimings(first.metrics));
    const otherSeed = await train(convRequest({ backend, seed: 2 }));
    expect(withoutTimings(otherSeed.metrics)).not.toEqual(withoutTimings(first.metrics));
    first.model.dispose();
    second.model.dispose();
  });

  it.each(['wasm', 'native'] as const)('resumes a conv net exactly from a checkpoint on %s', async (backend) => {
    const checkpoints: Checkpoint[] = [];
    const full = await train(convRequest({ backend, epochs: 3 }), { onCheckpoint: (checkpoint) => void checkpoints.push(checkpoint) });
    const resumed = await train(convRequest({ backend, epochs: 3, resume: decodeCheckpoint(encodeCheckpoint(checkpoints[1]), 'test') }));
    expect(withoutTimings(resumed.metrics)).toEqual(withoutTimings(full.metrics));
    const weights = (model: typeof full.model) => model.getWeights().flatMap((tensor) => Array.from(tensor.dataSync()));
    expect(weights(resumed.model)).toEqual(weights(full.model));
  });

  it('saves a native-trained conv net whose tfjs model predicts what the engine predicted', async () => {
    const result = await train(convRequest({ backend: 'native' }));
    const { probabilities } = predictExamples(result.model, small.test, small.inputShape, small.test.count);
    expect(probabilities.length).toBe(result.testPredictions.length);
    let worst = 0;
    for (let k = 0; k < probabilities.length; k++) worst = Math.max(worst, Math.abs(probabilities[k] - result.testPredictions[k]));
    expect(worst).toBeLessThan(1e-5);
    result.model.dispose();
  });
});
