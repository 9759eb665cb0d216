import { spawnSync } from 'node:child_process';
import { classWeightsOf, loadDataset, type Dataset } from '@specml/data';
import { describe, expect, it } from 'vitest';
import { train, type TrainRequest } from './train.js';

const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
if (!hasSklearn && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-sklearn is required here (SPECML_REQUIRE_SKLEARN)');

// Digits with the sevens made rare: 1,500 training images of which only a few are sevens.
const full = await loadDataset({ dataset: 'mnist', trainLimit: 3000, testLimit: 1000 });
function withRareSevens(): Dataset {
  const keep: number[] = [];
  let sevens = 0;
  for (let i = 0; i < full.train.count && keep.length < 1500; i++) if (full.train.labels[i] !== 7 || sevens++ < 15) keep.push(i);
  const size = 784;
  const inputs = new Uint8Array(keep.length * size);
  keep.forEach((index, position) => inputs.set(full.train.inputs.subarray(index * size, (index + 1) * size) as Uint8Array, position * size));
  return { ...full, train: { inputs, labels: Uint8Array.from(keep, (index) => full.train.labels[index]), count: keep.length } };
}
const dataset = withRareSevens();
const request = (backend: TrainRequest['backend'], classWeights?: number[]): TrainRequest => ({
  dataset,
  model: { initializer: 'pytorch', layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }] },
  optimizer: { name: 'sgd', learningRate: 0.05 },
  backend,
  batchSize: 32,
  epochs: 2,
  seed: 1,
  shuffle: true,
  classWeights,
});
const sevensFound = (probabilities: Float32Array) => {
  let found = 0;
  let sevens = 0;
  for (let i = 0; i < dataset.test.count; i++) {
    if (dataset.test.labels[i] !== 7) continue;
    sevens++;
    const row = Array.from(probabilities.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === 7) found++;
  }
  return found / sevens;
};

describe('class weights (data.classWeights)', () => {
  it.skipIf(!hasSklearn)('balanced: the weights of scikit-learn\'s compute_class_weight', () => {
    const weights = classWeightsOf('balanced', dataset);
    const reference = spawnSync('/usr/bin/python3', ['-c', 'import json, sys, numpy as np\nfrom sklearn.utils.class_weight import compute_class_weight\ny = np.array(json.load(sys.stdin))\nprint(json.dumps(compute_class_weight("balanced", classes=np.arange(10), y=y).tolist()))'], { input: JSON.stringify(Array.from(dataset.train.labels)), encoding: 'utf8' });
    expect(reference.status, reference.stderr).toBe(0);
    JSON.parse(reference.stdout).forEach((value: number, k: number) => expect(weights[k]).toBeCloseTo(value, 12));
    expect(classWeightsOf({ '7': 5 }, dataset)).toEqual([1, 1, 1, 1, 1, 1, 1, 5, 1, 1]);
    expect(() => classWeightsOf({ seven: 5 }, dataset)).toThrow('data.classWeights: "seven" is not a class; the classes are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9');
  });

  it('trains alike on the native engine and the tfjs loop, weights of 1 change nothing, and balanced weights find the rare class', async () => {
    const balanced = classWeightsOf('balanced', dataset);
    const [native, wasm, plain, ones] = [await train(request('native', balanced)), await train(request('wasm', balanced)), await train(request('native')), await train(request('native', new Array(10).fill(1)))];
    // The same weighted gradient on both engines: the same metrics to float32 rounding.
    native.metrics.forEach((row, epoch) => expect(Math.abs(row.test_loss - wasm.metrics[epoch].test_loss) / wasm.metrics[epoch].test_loss).toBeLessThan(1e-3));
    expect(ones.metrics.map((row) => row.test_loss)).toEqual(plain.metrics.map((row) => row.test_loss));
    // 15 sevens among 1,500 images: unweighted, the model rarely says seven; weighted, it finds more of them.
    expect(sevensFound(native.testPredictions)).toBeGreaterThan(sevensFound(plain.testPredictions) + 0.1);
    [native, wasm, plain, ones].forEach((run) => run.model.dispose());
  });
});
