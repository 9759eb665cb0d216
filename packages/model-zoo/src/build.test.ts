import { createRng } from '@specml/data';
import '@tensorflow/tfjs-backend-cpu';
import tf = require('@tensorflow/tfjs-core');
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, initialWeights, modelSummary, parameterCount, planLayers } from './build.js';
import { PRESETS } from './presets.js';
import type { ModelSpec } from './schema.js';

const input = { inputShape: [28, 28, 1] as [number, number, number] };
const lenet: ModelSpec = { initializer: 'heNormal', layers: [...PRESETS.lenet5.layers] };

describe('model zoo', () => {
  beforeAll(async () => void (await tf.setBackend('cpu')));

  it('follows the image through LeNet-5 and counts its parameters', () => {
    const plan = planLayers(lenet, input);
    expect(plan.problems).toEqual([]);
    expect(plan.inputShapes.slice(0, 6)).toEqual([[28, 28, 1], [28, 28, 6], [14, 14, 6], [10, 10, 16], [5, 5, 16], [400]]);
    // conv 5·5·1·6+6, conv 5·5·6·16+16, dense 400·120+120, 120·84+84, 84·10+10
    expect(parameterCount(lenet, input)).toBe(156 + 2416 + 48120 + 10164 + 850);
  });

  it('builds a model whose saved output is softmax probabilities and whose weights are the ones drawn', () => {
    const weights = initialWeights(lenet, input, createRng(1));
    const model = buildModel(lenet, input, weights);
    expect(model.countParams()).toBe(parameterCount(lenet, input));
    expect(Array.from(model.getWeights()[0].dataSync())).toEqual(Array.from(weights[0]));
    const probabilities = tf.tidy(() => (model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).arraySync() as number[][]);
    for (const row of probabilities) expect(row.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
    model.dispose();
  });

  it('draws the same initial weights for the same seed', () => {
    const first = initialWeights(lenet, input, createRng(5));
    const second = initialWeights(lenet, input, createRng(5));
    expect(second.map((array) => Array.from(array))).toEqual(first.map((array) => Array.from(array)));
    // PyTorch's bound for a 5×5×1 kernel is 1/√25; He's std for the same is √(2/25).
    const pytorch = initialWeights({ ...lenet, initializer: 'pytorch' }, input, createRng(5))[0];
    expect(Math.max(...pytorch.map(Math.abs))).toBeLessThanOrEqual(0.2);
  });

  it('says why layers do not fit the shape they get', () => {
    const spec: ModelSpec = {
      initializer: 'pytorch',
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 30, strides: 1, padding: 'valid', activation: 'relu' },
        { type: 'dense', units: 10, activation: 'relu' },
        { type: 'maxPooling2d', poolSize: 2 },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    };
    expect(planLayers(spec, input).problems).toEqual([
      { index: 0, message: 'its input is 28×28, smaller than the 30×30 kernel (use padding: same or a smaller kernelSize)' },
      {
        index: 2,
        message: 'a maxPooling2d layer needs an image-shaped input, but its input is a vector (put convolution and pooling layers before flatten and dense layers; table rows are vectors: use dense layers)',
      },
    ]);
  });

  it('joins a table\'s other columns to a text\'s vector at the first dense layer, flattening a sequence there, and says when there is none', () => {
    const text = { inputShape: [7], vocabularySize: 30, sideFeatures: 2 };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'embedding', dimension: 3 }, { type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 2, activation: 'softmax' }] };
    const plan = planLayers(spec, text);
    // Five token ids → [5, 3] vectors, flattened to 15, then the 2 other columns: a kernel of 17 × 4.
    expect(plan).toMatchObject({ problems: [], join: { index: 1, textShape: [5, 3] }, inputShapes: [[5], [17], [4]], outputShapes: [[5, 3], [4], [2]], weightShapes: [[30, 3], [17, 4], [4], [4, 2], [2]] });
    expect(modelSummary(spec, text).rows.map((row) => row.layer)).toEqual(['embedding', 'dense relu (+2 other columns)', 'dense softmax']);
    const model = buildModel(spec, text, initialWeights(spec, text, createRng(1)));
    expect(model.countParams()).toBe(parameterCount(spec, text));
    model.dispose();
    const pooledOnly: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'embedding', dimension: 3 }, { type: 'globalMaxPooling1d' }] };
    expect(planLayers(pooledOnly, text).problems).toEqual([{ index: 1, message: 'the table\'s other columns join the text\'s vector at the first dense layer, and the model has none: end it with one ({ type: dense, units: 2, activation: softmax })' }]);
  });
});
