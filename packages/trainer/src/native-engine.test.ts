import tf = require('@tensorflow/tfjs-core');
import fc from 'fast-check';
import { AUGMENT_PARAMETERS, createRng, loadDataset, randomPermutation, sparseRowsOf, transformImages, type Rng } from '@specml/data';
import { ACTIVATION_KINDS, ACTIVATIONS, buildModel, denseStackOf, initialWeights, LAYER_KINDS, LAYER_TYPES, logitsOf, planLayers, PRESETS, type LayerSpec, type ModelInput, type ModelSpec } from '@specml/model-zoo';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateTfjsBackend, type NativeInputs, type NativeNetworkHandle } from './backend.js';
import { loadNativeAddon } from './native-addon.js';
import { LayersEngine } from './layers-engine.js';
import { buildNativeNetwork, NativeEngine, nativeNetworkOptions } from './native-engine.js';
import { OPTIMIZER_NAMES } from './optimizers/index.js';
import { REGRESSION_LOSS_KINDS } from './losses/index.js';
import { REGRESSION_LOSSES, type OptimizerSpec, type RegressionLoss } from './schema.js';
import { TfjsEngine } from './tfjs-engine.js';
import { classificationObjective, regressionObjective } from './tfjs-objective.js';

const adam: OptimizerSpec = { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const sgd: OptimizerSpec = { name: 'sgd', learningRate: 0.1 };
/** One of each optimizer, with the settings the step-by-step comparisons with tfjs train the tutorial MLP by. */
const EVERY_OPTIMIZER: OptimizerSpec[] = [
  adam,
  { name: 'sgd', learningRate: 0.3 },
  { name: 'momentum', learningRate: 0.05, momentum: 0.9, nesterov: true },
  { name: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0.5, epsilon: 1e-8 },
  { name: 'adagrad', learningRate: 0.05, initialAccumulatorValue: 0.1 },
];

/** A small model with every kind of layer that has state or randomness: convolution, batch norm, dropout. */
const convBatchNormDropout: ModelSpec = {
  initializer: 'heNormal',
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
    { type: 'batchNormalization', momentum: 0.9, epsilon: 0.001 },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

function nativeNetwork(spec: ModelSpec, input: ModelInput, optimizer: OptimizerSpec = sgd, seed = 1, loss?: RegressionLoss): NativeNetworkHandle {
  const attempt = buildNativeNetwork({ ...nativeNetworkOptions(spec, input, optimizer, seed), ...(loss ? { loss } : {}) });
  if (!attempt.ok) throw new Error(attempt.reason);
  return attempt.value;
}

/**
a − b|a − b| within `tolerance` of the largest magnitude in b, or of `floor` where that is larger: a gradient
a − bthat is zero in theory (a bias ahead of batch norm) holds rounding noise only, so it is measured against
a − bthe model's gradients as a whole.
 */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string, floor = 1e-6) {
  expect(actual.length, label).toBe(expected.length);
  let scale = floor;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]));
  let worst = 0;
  for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k] - expected[k]) / scale);
  expect(worst, label).toBeLessThan(tolerance);
}

/** The mean softmax cross-entropy and its gradient for every weight, by tfjs-layers in training mode, layer by layer. */
function tfjsGradients(spec: ModelSpec, input: ModelInput, weights: Float32Array[], inputs: Uint8Array | Float32Array, labels: Uint8Array, classes: number) {
  const model = buildModel(spec, input, weights);
  const count = labels.length;
  const x = tf.tensor(inputs instanceof Uint8Array ? Float32Array.from(inputs, (byte) => byte / 255) : inputs, [count, ...input.inputShape]);
  const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), classes), 'float32');
  // In evaluation mode (running averages, no dropout): the probabilities the saved model predicts, taken
  // before the training-mode pass moves batch norm's running averages.
  const predicted = model.predict(x) as tf.Tensor;
  const probabilities = predicted.dataSync() as Float32Array;
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, logitsOf(model, x, true)) as tf.Scalar, variables);
  const gradients = model.layers.flatMap((layer) =>
    layer.weights.map((weight) => (weight.trainable ? (grads[(weight.read() as tf.Variable).name].dataSync() as Float32Array) : new Float32Array(weight.shape.reduce((a, b) => a! * b!, 1)!))),
  );
  const loss = value.dataSync()[0];
  tf.dispose([x, y, value, predicted, ...Object.values(grads)]);
  model.dispose();
  return { loss, gradients, probabilities };
}

/** The native network's predictions, loss and every weight gradient, each within 1e-4 of tfjs-layers'. */
function expectLikeTfjs(spec: ModelSpec, input: ModelInput, weights: Float32Array[], inputs: Uint8Array | Float32Array, labels: Uint8Array, classes: number) {
  const network = nativeNetwork(spec, input);
  network.setWeights(weights);
  const probabilities = network.predict(inputs, labels);
  const native = network.gradients(inputs, labels);
  const reference = tfjsGradients(spec, input, weights, inputs, labels, classes);
  expectClose(probabilities, reference.probabilities, 1e-4, `probabilities of ${JSON.stringify(spec.layers)}`);
  expect(native.lossSum / labels.length).toBeCloseTo(reference.loss, 4);
  const largest = Math.max(...reference.gradients.flatMap((gradient) => Array.from(gradient, Math.abs)));
  native.gradients.forEach((gradient, k) => expectClose(gradient, reference.gradients[k], 1e-4, `weight array ${k} of ${JSON.stringify(spec.layers)}`, largest / 10));
}

/**
 * A model that starts on token ids (`layers`, then a 3-class softmax) on random texts, with `side` other
 * columns joined where there are any: native predictions, loss and gradients against tfjs-layers'.
 */
function expectTextModelLikeTfjs(options: { length: number; vocabulary: number; side: number; layers: readonly LayerSpec[]; count: number; seed: number }): void {
  const { length, vocabulary, side, count } = options;
  const input: ModelInput = { inputShape: [length + side], vocabularySize: vocabulary, ...(side > 0 ? { sideFeatures: side } : {}) };
  const classes = 3;
  const spec: ModelSpec = { initializer: 'glorotUniform', layers: [...options.layers, { type: 'dense', units: classes, activation: 'softmax' }] };
  fc.pre(planLayers(spec, input).problems.length === 0);
  const rng = createRng(options.seed);
  // Embeddings start within ±0.05: spread them (the first array) so that maxima are checked on real sizes.
  const weights = initialWeights(spec, input, rng).map((array, k) => Float32Array.from(array, (value) => value * (k === 0 ? 10 : 1) + (rng.next() - 0.5) * 0.2));
  const rows = randomTextRows(rng, count, length, vocabulary, side);
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * classes));
  expectLikeTfjs(spec, input, weights, rows, labels, classes);
}

/** One epoch over `order` from `initial`, then everything the network says of itself: for comparing two ways of running one model, bit for bit. */
function trainedOnce(network: NativeNetworkHandle, initial: Float32Array[], inputs: NativeInputs, labels: Uint8Array, order: Uint32Array, batchSize: number) {
  network.setWeights(initial);
  const score = network.trainBatches(inputs, labels, order, 0, order.length, batchSize);
  const result = { score, weights: network.getWeights(), assessed: network.assess(inputs, labels), gradients: network.gradients(inputs, labels) };
  network.dispose();
  return result;
}

/**
 * Texts of random lengths as the data writes them: token ids padded with 0 at the end, some unknown (1);
 * then `side` other columns' values per row (standardised numbers, one-hots), where a table has them.
 */
function randomTextRows(rng: Rng, count: number, length: number, vocabulary: number, side: number): Float32Array {
  const rows = new Float32Array(count * (length + side));
  for (let row = 0; row < count; row++) {
    const words = Math.floor(rng.next() * (length + 1));
    for (let t = 0; t < words; t++) rows[row * (length + side) + t] = 1 + Math.floor(rng.next() * (vocabulary - 1));
    for (let k = 0; k < side; k++) rows[row * (length + side) + length + k] = rng.next() * 4 - 2;
  }
  return rows;
}

/** Every registered activation a convolution can apply (element-wise): a new one is checked as soon as it is registered. */
const activation = fc.constantFrom(...ACTIVATIONS.filter((name) => ACTIVATION_KINDS[name].elementwise));
const padding = fc.constantFrom('same', 'valid' as const);
const registeredKinds = Object.values(LAYER_KINDS) as unknown as { examples: LayerSpec[][]; examplesRead?: 'tokens' }[];
const registryExamples = registeredKinds.filter((kind) => kind.examplesRead === undefined).flatMap((kind) => kind.examples);
/** The kinds' examples that start on token ids (embedding, and what reads its sequences). */
const tokenExamples = registeredKinds.filter((kind) => kind.examplesRead === 'tokens').flatMap((kind) => kind.examples);
/** A layer to put after a first convolution, so its input has several channels and its input gradient is checked too. */
const layerUnderTest: fc.Arbitrary<LayerSpec[]> = fc.oneof(
  fc.record({ filters: fc.integer({ min: 1, max: 5 }), kernelSize: fc.integer({ min: 1, max: 4 }), strides: fc.integer({ min: 1, max: 3 }), padding, activation }).map((layer) => [{ type: 'conv2d' as const, ...layer }]),
  fc.record({ poolSize: fc.integer({ min: 1, max: 3 }), strides: fc.integer({ min: 1, max: 3 }) }).map((layer) => [{ type: 'maxPooling2d' as const, ...layer }]),
  fc.record({ momentum: fc.constantFrom(0.9, 0.99), epsilon: fc.constantFrom(0.001, 0.01) }).map((layer) => [{ type: 'batchNormalization' as const, ...layer }]),
  fc.record({ units: fc.integer({ min: 1, max: 9 }), activation }).map((layer) => [{ type: 'flatten' as const }, { type: 'dense' as const, ...layer }]),
  fc.record({ units: fc.integer({ min: 2, max: 9 }) }).map(({ units }) => [{ type: 'flatten' as const }, { type: 'dense' as const, units, activation: 'linear' as const }, { type: 'batchNormalization' as const, momentum: 0.99, epsilon: 0.001 }]),
  fc.constant<LayerSpec[]>([{ type: 'dropout', rate: 0 }]),
  // Every kind's own examples, from the registry: a new kind is checked as soon as it is registered.
  fc.constantFrom(...registryExamples),
);

beforeAll(async () => {
  await activateTfjsBackend('cpu');
});

describe('native engine', () => {
  it('is built and reports what it trains (npm ci compiles it; CI requires it)', () => {
    const addon = loadNativeAddon();
    expect(addon.ok).toBe(true);
    const capabilities = addon.ok ? addon.value.capabilities() : { layers: [], optimizers: [], activations: [] };
    // The engine's own list against the registries': a kind registered in TypeScript without its C++ file
    // (or the other way round) shows here.
    expect(capabilities.layers.sort()).toEqual([...LAYER_TYPES].sort());
    expect(capabilities.optimizers.sort()).toEqual([...OPTIMIZER_NAMES].sort());
    expect(capabilities.activations.sort()).toEqual([...ACTIVATIONS].sort());
    expect((Object.values(LAYER_KINDS) as unknown as { examples: unknown[] }[]).every((kind) => kind.examples.length > 0)).toBe(true);
  });

  it('gives the predictions, the loss and every weight gradient of tfjs-layers within 1e-4, for random layers, shapes, channels, strides and paddings', () => {
    fc.assert(
      fc.property(
        fc.record({
          height: fc.integer({ min: 4, max: 11 }),
          width: fc.integer({ min: 4, max: 11 }),
          channels: fc.constantFrom(1, 3),
          first: fc.record({ filters: fc.integer({ min: 1, max: 4 }), kernelSize: fc.integer({ min: 1, max: 3 }), strides: fc.integer({ min: 1, max: 2 }), padding, activation }),
          tested: layerUnderTest,
          count: fc.integer({ min: 2, max: 5 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ height, width, channels, first, tested, count, seed }) => {
          const input: ModelInput = { inputShape: [height, width, channels] };
          const classes = 3;
          const spec: ModelSpec = {
            initializer: 'glorotUniform',
            layers: [{ type: 'conv2d', ...first }, ...tested, { type: 'flatten' }, { type: 'dense', units: classes, activation: 'softmax' }],
          };
          fc.pre(planLayers(spec, input).problems.length === 0);
          const rng = createRng(seed);
          const weights = initialWeights(spec, input, rng);
          // Batch norm starts at γ = 1, β = 0; move them so their gradients are checked away from the identity.
          const moved = weights.map((array) => Float32Array.from(array, (value) => value + (rng.next() - 0.5) * 0.2));
          const images = Uint8Array.from({ length: count * height * width * channels }, () => Math.floor(rng.next() * 256));
          const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * classes));
          expectLikeTfjs(spec, input, moved, images, labels, classes);
        },
      ),
      { numRuns: 150, seed: 20261127 },
    );
  });

  it('trains table rows: float vectors of any width through dense, dropout and batch norm layers, as tfjs-layers does', () => {
    fc.assert(
      fc.property(
        fc.record({
          features: fc.integer({ min: 1, max: 40 }),
          hidden: fc.integer({ min: 1, max: 12 }),
          activation,
          normalised: fc.boolean(),
          count: fc.integer({ min: 2, max: 6 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ features, hidden, activation: hiddenActivation, normalised, count, seed }) => {
          const input: ModelInput = { inputShape: [features] };
          const classes = 4;
          const spec: ModelSpec = {
            initializer: 'glorotUniform',
            layers: [
              { type: 'dense', units: hidden, activation: hiddenActivation },
              ...(normalised ? [{ type: 'batchNormalization' as const, momentum: 0.99, epsilon: 0.001 }] : []),
              { type: 'dropout', rate: 0 },
              { type: 'dense', units: classes, activation: 'softmax' },
            ],
          };
          const rng = createRng(seed);
          const weights = initialWeights(spec, input, rng).map((array) => Float32Array.from(array, (value) => value + (rng.next() - 0.5) * 0.2));
          // Standardised columns and one-hot categories: values around 0, some exactly 0 or 1.
          const rows = Float32Array.from({ length: count * features }, (_, k) => (k % 3 === 0 ? Math.round(rng.next()) : (rng.next() - 0.5) * 4));
          const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * classes));
          expectLikeTfjs(spec, input, weights, rows, labels, classes);
        },
      ),
      { numRuns: 60, seed: 20261130 },
    );
  });

  it('trains bag-of-words rows (thousands of inputs, almost all zero: the sparse path) as tfjs-layers does', () => {
    fc.assert(
      fc.property(
        fc.record({ features: fc.integer({ min: 256, max: 3000 }), tokens: fc.integer({ min: 0, max: 12 }), hidden: fc.integer({ min: 1, max: 20 }), count: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 0, max: 1000 }) }),
        ({ features, tokens, hidden, count, seed }) => {
          const input: ModelInput = { inputShape: [features] };
          const classes = 3;
          const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: hidden, activation: 'relu' }, { type: 'dense', units: classes, activation: 'softmax' }] };
          const rng = createRng(seed);
          const weights = initialWeights(spec, input, rng);
          // A few TF-IDF-like values per row, at random vocabulary positions; a row may have none.
          const rows = new Float32Array(count * features);
          for (let row = 0; row < count; row++) for (let t = 0; t < tokens; t++) rows[row * features + Math.floor(rng.next() * features)] = rng.next();
          const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * classes));
          expectLikeTfjs(spec, input, weights, rows, labels, classes);
        },
      ),
      { numRuns: 25, seed: 20261203 },
    );
  });

  it('trains and scores a bag of words\' sparse rows bit for bit as its dense rows, also where a slice of a batch has too many words for the sparse product', () => {
    fc.assert(
      fc.property(
        fc.record({ features: fc.integer({ min: 256, max: 1200 }), tokens: fc.integer({ min: 0, max: 6 }), fullRows: fc.integer({ min: 0, max: 3 }), hidden: fc.integer({ min: 1, max: 8 }), batchSize: fc.integer({ min: 1, max: 17 }), seed: fc.integer({ min: 0, max: 1000 }) }),
        ({ features, tokens, fullRows, hidden, batchSize, seed }) => {
          const input: ModelInput = { inputShape: [features] };
          const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: hidden, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] };
          const rng = createRng(seed);
          const count = 60;
          // A few values a row at random positions; the first fullRows rows have a third of their inputs set.
          const rows = new Float32Array(count * features);
          for (let row = 0; row < count; row++) {
            const set = row < fullRows ? Math.floor(features / 3) : tokens;
            for (let t = 0; t < set; t++) rows[row * features + Math.floor(rng.next() * features)] = rng.next() - 0.25;
          }
          const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * 3));
          const initial = initialWeights(spec, input, rng);
          const order = randomPermutation(count, rng);
          // The rows as the engine lists them, and as a dataset file gives them back (sparseRowsOf, taken as they are).
          const positions = Uint32Array.from(rows.keys()).filter((position) => rows[position] !== 0);
          const read = sparseRowsOf(positions, rows.filter((value) => value !== 0), count, features)!;
          const trained = (form: 'dense' | 'listed' | 'read') => {
            const network = nativeNetwork(spec, input, adam, seed);
            const inputs = form === 'dense' ? rows : network.sparseRows(form === 'listed' ? rows : read)!;
            expect(inputs).toBeDefined();
            if (form === 'read') expect(inputs).toBe(read);
            return trainedOnce(network, initial, inputs, labels, order, batchSize);
          };
          const dense = trained('dense');
          expect(trained('listed')).toEqual(dense);
          expect(trained('read')).toEqual(dense);
        },
      ),
      { numRuns: 25, seed: 20261205 },
    );
  });

  it('reads token ids through every sequence kind (embedding, conv1d, global poolings) as tfjs-layers does, for random lengths, vocabularies and padding', () => {
    fc.assert(
      fc.property(
        fc.record({
          length: fc.integer({ min: 3, max: 12 }),
          vocabulary: fc.integer({ min: 3, max: 40 }),
          tested: fc.constantFrom(...tokenExamples),
          count: fc.integer({ min: 1, max: 5 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ length, vocabulary, tested, count, seed }) => expectTextModelLikeTfjs({ length, vocabulary, side: 0, layers: tested, count, seed }),
      ),
      { numRuns: 60, seed: 20261204 },
    );
  });

  it('pools inside the embedding where a global pooling follows it: the same training, scores and gradients, bit for bit, as the two layers apart', () => {
    fc.assert(
      fc.property(
        fc.record({
          length: fc.integer({ min: 1, max: 40 }),
          pooling: fc.constantFrom('globalMaxPooling1d', 'globalAveragePooling1d' as const),
          // The pooled passes work on 4 vectors of a row at once, then 1 (16 values with AVX-512, 8 with AVX2), then one by one.
          dimension: fc.constantFrom(5, 16, 37, 64, 91),
          side: fc.constantFrom(0, 3),
          batchSize: fc.integer({ min: 1, max: 9 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ length, pooling, dimension, side, batchSize, seed }) => {
          const input: ModelInput = { inputShape: [length + side], vocabularySize: 30, ...(side > 0 ? { sideFeatures: side } : {}) };
          const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'embedding', dimension }, { type: pooling }, { type: 'dense', units: 3, activation: 'softmax' }] };
          const rng = createRng(seed);
          const count = 24;
          const rows = randomTextRows(rng, count, length, 30, side);
          const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * 3));
          const initial = initialWeights(spec, input, rng);
          const order = randomPermutation(count, rng);
          const pooled = nativeNetworkOptions(spec, input, adam, seed);
          expect(pooled.layers.map((layer) => layer.type)).not.toContain(pooling);
          // The same network with the pooling as a layer of its own, as the spec lists it.
          const apart = { ...pooled, layers: pooled.layers.flatMap(({ pooling: _, ...layer }) => (layer.type === 'embedding' ? [layer, { type: pooling, index: 1 }] : [layer])) };
          const trained = (options: typeof pooled) => {
            const attempt = buildNativeNetwork(options);
            if (!attempt.ok) throw new Error(attempt.reason);
            return trainedOnce(attempt.value, initial, rows, labels, order, batchSize);
          };
          expect(trained(pooled)).toEqual(trained(apart));
        },
      ),
      { numRuns: 30, seed: 20261205 },
    );
  });

  it('joins a table\'s other columns to a text\'s vector at the first dense layer as tfjs-layers does (pooled or flattened, with layers after it)', () => {
    fc.assert(
      fc.property(
        fc.record({
          length: fc.integer({ min: 2, max: 8 }),
          side: fc.integer({ min: 1, max: 6 }),
          tested: fc.constantFrom(...tokenExamples),
          hidden: fc.boolean(),
          count: fc.integer({ min: 1, max: 5 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ length, side, tested, hidden, count, seed }) =>
          expectTextModelLikeTfjs({ length, vocabulary: 20, side, layers: [...tested, ...(hidden ? [{ type: 'dense', units: 4, activation: 'tanh' } as const] : [])], count, seed }),
      ),
      { numRuns: 40, seed: 20261205 },
    );
  });

  it('trains token ids (with other columns beside them) given as a dataset file\'s sparse rows bit for bit as their dense rows', () => {
    fc.assert(
      fc.property(
        fc.record({
          length: fc.integer({ min: 3, max: 12 }),
          side: fc.integer({ min: 0, max: 30 }),
          tested: fc.constantFrom(...tokenExamples),
          count: fc.integer({ min: 1, max: 40 }),
          batchSize: fc.integer({ min: 1, max: 16 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ length, side, tested, count, batchSize, seed }) => {
          const input: ModelInput = { inputShape: [length + side], vocabularySize: 20, ...(side > 0 ? { sideFeatures: side } : {}) };
          const spec: ModelSpec = { initializer: 'glorotUniform', layers: [...tested, { type: 'dense', units: 3, activation: 'softmax' }] };
          fc.pre(planLayers(spec, input).problems.length === 0);
          const rng = createRng(seed);
          const rows = randomTextRows(rng, count, length, 20, side).map((value) => (rng.next() < 0.5 ? value : 0)); // side columns mostly zero, as a bag of words
          const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * 3));
          const initial = initialWeights(spec, input, rng);
          const order = randomPermutation(count, rng);
          const positions = Uint32Array.from(rows.keys()).filter((position) => rows[position] !== 0);
          const read = sparseRowsOf(positions, rows.filter((value) => value !== 0), count, length + side)!;
          const given = nativeNetwork(spec, input, adam, seed);
          expect(given.sparseRows(read)).toBe(read);
          expect(trainedOnce(given, initial, read, labels, order, batchSize)).toEqual(trainedOnce(nativeNetwork(spec, input, adam, seed), initial, rows, labels, order, batchSize));
        },
      ),
      { numRuns: 40, seed: 20261205 },
    );
  });

  it('augments images exactly as the TypeScript transform does (the same bytes), for flips, shifts and turns of any shape, also on its worker thread', async () => {
    const addon = loadNativeAddon();
    if (!addon.ok) throw new Error(addon.reason);
    for (const [height, width, channels] of [[28, 28, 1], [13, 7, 3], [5, 9, 2]]) {
      const count = 300;
      const rng = createRng(height * width);
      const source = Uint8Array.from({ length: count * height * width * channels }, () => Math.floor(rng.next() * 256));
      const parameters = new Float64Array(count * AUGMENT_PARAMETERS);
      for (let i = 0; i < count; i++) {
        const angle = i % 5 === 0 ? 0 : (rng.next() * 2 - 1) * Math.PI;
        parameters.set([i % 2, (i >> 1) % 2, Math.floor(rng.next() * 7) - 3, Math.floor(rng.next() * 7) - 3, Math.cos(angle), Math.sin(angle)], i * AUGMENT_PARAMETERS);
      }
      const [native, typescript] = [new Uint8Array(source.length), new Uint8Array(source.length)];
      addon.value.transformImages(source, native, [height, width, channels], parameters);
      transformImages(source, typescript, [height, width, channels], parameters);
      expect(native).toEqual(typescript);
      const inBackground = new Uint8Array(source.length);
      await addon.value.transformImagesInBackground(source, inBackground, [height, width, channels], parameters);
      expect(inBackground).toEqual(typescript);
    }
    expect(() => addon.value.transformImages(new Uint8Array(10), new Uint8Array(10), [2, 2, 1], new Float64Array(6))).toThrow('transformImages: the sizes of source, target and parameters do not match the shape');
  });

  it.each(REGRESSION_LOSSES)('gives the loss and every weight gradient of its tfjs definition (tf.losses) for the regression loss %s, within 1e-4', (loss) => {
    const input: ModelInput = { inputShape: [6] };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: 5, activation: 'tanh' }, { type: 'dense', units: 1, activation: 'linear' }] };
    const rng = createRng(loss.length);
    const weights = initialWeights(spec, input, rng);
    const count = 9;
    const rows = Float32Array.from({ length: count * 6 }, () => (rng.next() - 0.5) * 3);
    // Targets far from and near the outputs, so that Huber's two branches are both taken.
    const targets = Float32Array.from({ length: count }, (_, i) => (i % 3 === 0 ? (rng.next() - 0.5) * 6 : (rng.next() - 0.5) * 0.5));
    const network = nativeNetwork(spec, input, sgd, 1, loss);
    network.setWeights(weights);
    const native = network.gradients(rows, targets);
    const model = buildModel(spec, input, weights);
    const x = tf.tensor2d(rows, [count, 6]);
    const y = tf.tensor2d(targets, [count, 1]);
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => REGRESSION_LOSS_KINDS[loss].tfjs(y, model.apply(x) as tf.Tensor2D), variables);
    expect(native.lossSum / count).toBeCloseTo(value.dataSync()[0], 5);
    const reference = model.layers.flatMap((layer) => layer.weights.map((weight) => grads[(weight.read() as tf.Variable).name].dataSync() as Float32Array));
    native.gradients.forEach((gradient, k) => expectClose(gradient, reference[k], 1e-4, `${loss} weight array ${k}`));
    expect(Array.from(network.predict(rows, targets))).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()).map((v) => expect.closeTo(v, 5)));
    tf.dispose([x, y, value, ...Object.values(grads)]);
    model.dispose();
    expect(() => network.gradients(rows, new Uint8Array(count))).toThrow('labels a Float32Array of targets');
  });

  it('reports every regression loss it has: the ones the schema offers', () => {
    const addon = loadNativeAddon();
    expect(addon.ok && addon.value.capabilities().losses.sort()).toEqual([...REGRESSION_LOSSES].sort());
  });

  it('refuses inputs of the wrong type or size', () => {
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: 2, activation: 'softmax' }] };
    const network = nativeNetwork(spec, { inputShape: [3] });
    expect(() => network.predict(new Float32Array(5), new Uint8Array(2))).toThrow('native engine: inputs hold 5 values, expected 2 labels × 3 inputs');
    expect(() => network.predict(new Float64Array(6) as unknown as Float32Array, new Uint8Array(2))).toThrow('inputs must be a Uint8Array or Float32Array');
    expect(network.sparseRows(new Float32Array(6))).toBeUndefined(); // 3 inputs: its dense layer reads them all
    const bag = nativeNetwork(spec, { inputShape: [300] });
    expect(bag.sparseRows(new Float32Array(600).fill(1))).toBeUndefined(); // not mostly zeros
    const rows = new Float32Array(600);
    rows[7] = 1;
    rows[300 + 299] = -0.5;
    const sparse = bag.sparseRows(rows)!;
    expect(sparse).toEqual({ rowStart: Uint32Array.of(0, 1, 2), index: Uint32Array.of(7, 299), values: Float32Array.of(1, -0.5) });
    expect(() => bag.predict({ ...sparse, index: Uint32Array.of(7, 300) }, new Uint8Array(2))).toThrow('native engine: sparse rows do not match 2 labels × 300 inputs');
    expect(() => bag.predict(sparse, new Uint8Array(3))).toThrow('sparse rows do not match 3 labels');
    expect(() => network.predict(sparse, new Uint8Array(2))).toThrow('native engine: sparse rows do not match 2 labels × 3 inputs');
    // Rows that are sparse already: given back where the engine reads them so, checked first.
    expect(bag.sparseRows(sparse)).toBe(sparse);
    // … and where the first layer reads dense inputs, which each batch's rows are written out to: the same predictions.
    const narrow = { rowStart: Uint32Array.of(0, 1, 1), index: Uint32Array.of(2), values: Float32Array.of(3) };
    expect(network.sparseRows(narrow)).toBe(narrow);
    expect(network.predict(narrow, new Uint8Array(2))).toEqual(network.predict(Float32Array.of(0, 0, 3, 0, 0, 0), new Uint8Array(2)));
    const colour = nativeNetwork(spec, { inputShape: [2, 2, 3] });
    const oneRow = { ...narrow, rowStart: Uint32Array.of(0, 1) };
    expect(colour.sparseRows(oneRow)).toBeUndefined();
    expect(() => colour.predict(oneRow, new Uint8Array(1))).toThrow("native engine: a colour image's inputs cannot be given as sparse rows");
    const full = { rowStart: Uint32Array.of(0, 300), index: Uint32Array.from({ length: 300 }, (_, i) => i), values: new Float32Array(300).fill(1) };
    expect(bag.sparseRows(full)).toBeUndefined(); // not mostly zeros
    expect(() => bag.sparseRows({ ...sparse, index: Uint32Array.of(7, 300) })).toThrow('native engine: sparse rows do not match 2 labels × 300 inputs');
    expect(() => bag.sparseRows({ ...sparse, rowStart: new Uint32Array(0) })).toThrow('native engine: sparse rows are { rowStart: Uint32Array');
  });

  it('exports and imports weights in tfjs layout unchanged, also into arrays given to reuse, and refuses arrays of the wrong size', () => {
    const input: ModelInput = { inputShape: [9, 7, 1] };
    const spec: ModelSpec = { initializer: 'heNormal', layers: [{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'batchNormalization', momentum: 0.9, epsilon: 0.001 }, { type: 'dense', units: 4, activation: 'softmax' }] };
    const weights = initialWeights(spec, input, createRng(5)).map((array) => Float32Array.from(array, (_, k) => k * 0.01 + array.length));
    const network = nativeNetwork(spec, input);
    network.setWeights(weights);
    expect(network.getWeights()).toEqual(weights);
    const kept = weights.map((array) => new Float32Array(array.length));
    expect(network.getWeights(kept)).toBe(kept);
    expect(kept).toEqual(weights);
    expect(() => network.setWeights(weights.slice(1))).toThrow('native engine: 7 weight arrays given, the model has 8');
    expect(() => network.getWeights(kept.slice(1))).toThrow('native engine: 7 weight arrays given, the model has 8');
    expect(() => network.getWeights(kept.map((array, k) => (k === 2 ? new Float32Array(array.length + 1) : array)))).toThrow(`native engine: weight array 2 has ${weights[2].length + 1} values, expected ${weights[2].length}`);
    expect(() => network.setWeights(weights.map((array, k) => (k === 0 ? (new Float64Array(array.length) as unknown as Float32Array) : array)))).toThrow('native engine: weight array 0 is not a Float32Array');
  });

  it('drops the rate asked for, with masks from the seed and step, scaling what it keeps', () => {
    const input: ModelInput = { inputShape: [20, 20, 1] };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dropout', rate: 0.3 }, { type: 'dense', units: 2, activation: 'softmax' }] };
    const images = new Uint8Array(400).fill(255);
    const labels = Uint8Array.of(0);
    const gradientsOf = (seed: number) => {
      const network = nativeNetwork(spec, input, sgd, seed);
      network.setWeights([new Float32Array(800).fill(0.01), new Float32Array(2)]);
      return network.gradients(images, labels).gradients[0];
    };
    // With one image, the kernel's gradient row for an input is zero exactly where that input was dropped.
    const kept = (gradient: Float32Array) => Array.from({ length: 400 }, (_, i) => gradient[2 * i] !== 0);
    const first = kept(gradientsOf(1));
    expect(kept(gradientsOf(1))).toEqual(first);
    expect(kept(gradientsOf(2))).not.toEqual(first);
    const dropped = first.filter((value) => !value).length / 400;
    expect(dropped).toBeGreaterThan(0.22);
    expect(dropped).toBeLessThan(0.38);
    // Evaluation keeps everything: no mask, no scaling.
    const network = nativeNetwork(spec, input, sgd, 1);
    network.setWeights([new Float32Array(800), new Float32Array(2)]);
    expect(network.evaluate(images, labels)[0]).toBeCloseTo(Math.log(2), 5);
  });

  it('gives bit-identical weights with one thread and with two (the batch halves and their sums are fixed)', async () => {
    const dataset = await loadDataset({ dataset: 'mnist', trainLimit: 640, testLimit: 100, shuffle: true });
    const input = { inputShape: dataset.inputShape };
    const spec = convBatchNormDropout;
    const initial = initialWeights(spec, input, createRng(4));
    const order = randomPermutation(dataset.train.count, createRng(5));
    const trained = (threads: number) => {
      const attempt = buildNativeNetwork({ ...nativeNetworkOptions(spec, input, adam, 4), threads });
      if (!attempt.ok) throw new Error(attempt.reason);
      const engine = new NativeEngine(attempt.value, initial, dataset.train, 64);
      const score = engine.trainRange(order, 0, dataset.train.count);
      return { score, weights: engine.weights(), probabilities: engine.predict(dataset.test) };
    };
    const one = trained(1);
    const two = trained(2);
    expect(two.score).toEqual(one.score);
    expect(two.weights).toEqual(one.weights);
    expect(two.probabilities).toEqual(one.probabilities);
    expect(one.weights).not.toEqual(initial);
  });

  it('frees a disposed network at once and refuses to use it after', () => {
    const input: ModelInput = { inputShape: [4, 4, 1] };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: 2, activation: 'softmax' }] };
    const network = nativeNetwork(spec, input);
    network.dispose();
    expect(() => network.getWeights()).toThrow('native engine: the network was disposed');
    expect(() => network.evaluate(new Uint8Array(16), Uint8Array.of(0))).toThrow('native engine: the network was disposed');
  });

  it('says which layer it cannot train and why', () => {
    const input: ModelInput = { inputShape: [8, 8, 1] };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 1, padding: 'valid', activation: 'softmax' }, { type: 'dense', units: 2, activation: 'softmax' }] };
    expect(buildNativeNetwork(nativeNetworkOptions(spec, input, sgd, 1))).toEqual({
      ok: false,
      reason: 'model.layers[0] (conv2d) has a softmax activation, which the native engine applies to dense layers only',
    });
  });

  it('throws a RangeError instead of reading past the images', async () => {
    const dataset = await loadDataset({ dataset: 'mnist', trainLimit: 100, testLimit: 100, shuffle: true });
    const spec: ModelSpec = { initializer: 'pytorch', layers: [...PRESETS['mlp-tutorial'].layers] };
    const input = { inputShape: dataset.inputShape };
    const engine = new NativeEngine(nativeNetwork(spec, input), initialWeights(spec, input, createRng(1)), dataset.train, 15);
    expect(() => engine.trainRange(Uint32Array.of(0, dataset.train.count), 0, 2)).toThrow('order holds an index past the last image');
    expect(() => engine.trainRange(Uint32Array.of(0, 1), 0, 3)).toThrow('need 0 <= start <= end <= order.length');
  });
});

const wholeModelData = await loadDataset({ dataset: 'mnist', trainLimit: 6400, testLimit: 1000, shuffle: true });
describe('native engine against tfjs, whole models', () => {
  const dataset = wholeModelData;
  const input = { inputShape: dataset.inputShape };

  /** Both engines from the same initial weights over the same batches; per-step training losses and final test accuracy. */
  function trainBoth(spec: ModelSpec, optimizer: OptimizerSpec, reference: 'tfjs' | 'layers', steps: number, batchSize: number) {
    const rng = createRng(3);
    const initial = initialWeights(spec, input, rng);
    const order = randomPermutation(dataset.train.count, rng);
    const native = new NativeEngine(nativeNetwork(spec, input, optimizer, 3), initial, dataset.train, batchSize);
    const tfjs =
      reference === 'tfjs'
        ? new TfjsEngine('wasm', denseStackOf(spec, input)!, initial, optimizer, dataset.train, batchSize, classificationObjective(10))
        : new LayersEngine('wasm', spec, input, initial, optimizer, dataset.train, batchSize, 3, classificationObjective(10));
    const losses: Array<[number, number]> = [];
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      losses.push([native.trainRange(order, start, start + batchSize).lossSum / batchSize, tfjs.trainRange(order, start, start + batchSize).lossSum / batchSize]);
    }
    const accuracies = [native.assess(dataset.test).score.correct / dataset.test.count, tfjs.assess(dataset.test).score.correct / dataset.test.count];
    tfjs.dispose();
    return { losses, accuracies };
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

  it.each(EVERY_OPTIMIZER)('trains the tutorial MLP like the tfjs loop step by step for 100 steps of $name (losses within 1e-3 relative)', async (optimizer) => {
    await activateTfjsBackend('wasm');
    const spec: ModelSpec = { initializer: 'pytorch', layers: [...PRESETS['mlp-tutorial'].layers] };
    const { losses, accuracies } = trainBoth(spec, optimizer, 'tfjs', 100, 15);
    // Deterministic models: the same steps, so the losses agree to float32 rounding, growing slowly with the steps.
    for (const [native, reference] of losses) expect(Math.abs(native - reference) / reference).toBeLessThan(1e-3);
    expect(mean(losses.slice(-10).map(([, loss]) => loss))).toBeLessThan(mean(losses.slice(0, 10).map(([, loss]) => loss)) * 0.8);
    expect(Math.abs(accuracies[0] - accuracies[1])).toBeLessThanOrEqual(0.003);
  });

  it('penalises kernels with l2 as tfjs-layers does: 100 steps of sgd alike, and unlike the same model without it', async () => {
    await activateTfjsBackend('wasm');
    const layers = (l2: number): LayerSpec[] => [{ type: 'flatten' }, { type: 'dense', units: 32, activation: 'relu', l2 }, { type: 'dense', units: 10, activation: 'softmax', l2: l2 / 10 }];
    const optimizer: OptimizerSpec = { name: 'sgd', learningRate: 0.3 };
    const penalised = trainBoth({ initializer: 'pytorch', layers: layers(0.01) }, optimizer, 'layers', 100, 15).losses;
    for (const [native, reference] of penalised) expect(Math.abs(native - reference) / reference).toBeLessThan(1e-3);
    // The penalty changes the learning: without it the same steps end elsewhere.
    const plain = trainBoth({ initializer: 'pytorch', layers: layers(0) }, optimizer, 'layers', 100, 15).losses;
    expect(Math.abs(penalised.at(-1)![0] - plain.at(-1)![0]) / plain.at(-1)![0]).toBeGreaterThan(1e-2);
  });

  it('trains LeNet-5 like tfjs-layers for 100 steps (the first 10 losses within 1e-4, then the same learning)', async () => {
    // The engines sum in different orders; float32 rounding (1e-8 at step 1) compounds through Adam's
    // steps by about 10× every 10 steps until the runs are merely alike. Measured: 1e-5 at step 10, a few
    // percent from step 40 on.
    await activateTfjsBackend('wasm');
    const spec: ModelSpec = { initializer: PRESETS.lenet5.initializer, layers: [...PRESETS.lenet5.layers] };
    const { losses, accuracies } = trainBoth(spec, adam, 'layers', 100, 64);
    for (const [native, reference] of losses.slice(0, 10)) expect(Math.abs(native - reference) / reference).toBeLessThan(1e-4);
    const last = (column: 0 | 1) => mean(losses.slice(-20).map((pair) => pair[column]));
    expect(Math.abs(last(0) - last(1)) / last(1)).toBeLessThan(0.05);
    expect(accuracies[0]).toBeGreaterThan(0.8);
    expect(Math.abs(accuracies[0] - accuracies[1])).toBeLessThanOrEqual(0.01);
  });

  it('trains a conv + batch norm + dropout model like tfjs-layers for 100 steps (mean loss of the last 20 steps within 10%, accuracy within 3 points)', async () => {
    // Dropout masks come from different generators, so the runs differ batch by batch but must learn alike.
    await activateTfjsBackend('wasm');
    const { losses, accuracies } = trainBoth(convBatchNormDropout, adam, 'layers', 100, 64);
    const last = (column: 0 | 1) => mean(losses.slice(-20).map((pair) => pair[column]));
    expect(Math.abs(last(0) - last(1)) / last(1)).toBeLessThan(0.1);
    expect(last(0)).toBeLessThan(mean(losses.slice(0, 10).map(([native]) => native)) * 0.5);
    expect(Math.abs(accuracies[0] - accuracies[1])).toBeLessThanOrEqual(0.03);
  });
});

describe('native engine against tfjs, text', () => {
  it('trains embedding, conv1d and max pooling like tfjs-layers on wasm for 40 steps of adam (the first 10 losses within 1e-3, then the same learning)', async () => {
    await activateTfjsBackend('wasm');
    // Texts of 3–20 tokens from a vocabulary of 60; a class's texts draw more often from its own third of it.
    const rng = createRng(5);
    const [length, vocabulary, count, batchSize] = [20, 60, 1280, 32];
    const inputs = new Float32Array(count * length);
    const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.next() * 2));
    for (let row = 0; row < count; row++) {
      const words = 3 + Math.floor(rng.next() * (length - 2));
      for (let t = 0; t < words; t++) inputs[row * length + t] = rng.next() < 0.6 ? 2 + labels[row] * 20 + Math.floor(rng.next() * 20) : 2 + Math.floor(rng.next() * (vocabulary - 2));
    }
    const set = { inputs, labels, count };
    const input: ModelInput = { inputShape: [length], vocabularySize: vocabulary };
    const spec: ModelSpec = {
      initializer: 'glorotUniform',
      layers: [
        { type: 'embedding', dimension: 8 },
        { type: 'conv1d', filters: 6, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
        { type: 'globalMaxPooling1d' },
        { type: 'dense', units: 2, activation: 'softmax' },
      ],
    };
    const initial = initialWeights(spec, input, rng);
    const order = randomPermutation(count, rng);
    const optimizer: OptimizerSpec = { ...adam, learningRate: 0.01 };
    const native = new NativeEngine(nativeNetwork(spec, input, optimizer, 3), initial, set, batchSize);
    const tfjs = new LayersEngine('wasm', spec, input, initial, optimizer, set, batchSize, 3, classificationObjective(2));
    const losses: Array<[number, number]> = [];
    for (let step = 0; step < 40; step++) {
      const start = step * batchSize;
      losses.push([native.trainRange(order, start, start + batchSize).lossSum / batchSize, tfjs.trainRange(order, start, start + batchSize).lossSum / batchSize]);
    }
    native.dispose();
    tfjs.dispose();
    for (const [ours, reference] of losses.slice(0, 10)) expect(Math.abs(ours - reference) / reference).toBeLessThan(1e-3);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const last = (column: 0 | 1) => mean(losses.slice(-10).map((pair) => pair[column]));
    expect(Math.abs(last(0) - last(1)) / last(1)).toBeLessThan(0.05);
    expect(last(0)).toBeLessThan(mean(losses.slice(0, 5).map(([ours]) => ours)) * 0.8);
  });

  it('has an optimizer of each name to compare', () => expect(EVERY_OPTIMIZER.map(({ name }) => name).sort()).toEqual([...OPTIMIZER_NAMES].sort()));

  it.each(EVERY_OPTIMIZER)('steps an embedding only in the rows its batch read with $name, on both engines alike: other rows keep their values', async (optimizer) => {
    await activateTfjsBackend('wasm');
    // Three batches of texts, each of its own 40 tokens of a vocabulary of 200 (0: padding, read by every
    // batch), then the first batch again: Adam or momentum stepping every row would move the first batch's
    // rows on by their momentum in the second and third steps.
    const [length, vocabulary, batchSize, dimension] = [12, 200, 16, 6];
    const rng = createRng(3);
    const batchTokens = (batch: number) => 2 + 40 * batch;
    const inputs = new Float32Array(3 * batchSize * length);
    const labels = Uint8Array.from({ length: 3 * batchSize }, () => Math.floor(rng.next() * 2));
    for (let row = 0; row < 3 * batchSize; row++)
      for (let t = 0; t < 4 + Math.floor(rng.next() * (length - 4)); t++) inputs[row * length + t] = batchTokens(Math.floor(row / batchSize)) + Math.floor(rng.next() * 40);
    const set = { inputs, labels, count: 3 * batchSize };
    const input: ModelInput = { inputShape: [length], vocabularySize: vocabulary };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'embedding', dimension }, { type: 'globalAveragePooling1d' }, { type: 'dense', units: 2, activation: 'softmax' }] };
    const initial = initialWeights(spec, input, rng);
    const order = Uint32Array.from({ length: 3 * batchSize }, (_, k) => k);
    const engines = [new NativeEngine(nativeNetwork(spec, input, optimizer, 3), initial, set, batchSize), new LayersEngine('wasm', spec, input, initial, optimizer, set, batchSize, 3, classificationObjective(2))];
    const tensorsAfter: number[] = [];
    const tables = engines.map((engine) =>
      [0, 1, 2, 0].map((batch) => {
        engine.trainRange(order, batch * batchSize, (batch + 1) * batchSize);
        tensorsAfter.push(tf.memory().numTensors);
        return engine.weights()[0].slice();
      }),
    );
    engines.forEach((engine) => engine.dispose());
    // tfjs' step keeps no tensor behind (the rows put back included): as many tensors after its last step as after its second.
    expect(tensorsAfter.at(-1)).toBe(tensorsAfter.at(-3));
    const rowsOf = (table: Float32Array, batch: number) => table.slice(batchTokens(batch) * dimension, (batchTokens(batch) + 40) * dimension);
    for (const [engine, [first, second, third, again]] of tables.entries()) {
      const label = `${optimizer.name}, ${engine === 0 ? 'native' : 'tfjs'}`;
      expect(rowsOf(first, 0), label).not.toEqual(rowsOf(initial[0], 0));
      expect(rowsOf(third, 0), label).toEqual(rowsOf(first, 0));
      expect(rowsOf(second, 1), label).not.toEqual(rowsOf(first, 1));
      expect(rowsOf(third, 1), label).toEqual(rowsOf(second, 1));
      expect(rowsOf(again, 2), label).toEqual(rowsOf(third, 2));
      expect(again.slice(batchTokens(3) * dimension), label).toEqual(initial[0].slice(batchTokens(3) * dimension));
    }
    tables[0].forEach((table, step) => expectClose(table, tables[1][step], 1e-5, `${optimizer.name}, step ${step + 1}`));
  });
});

describe('native engine against tfjs, regressions', () => {
  // Friedman #1 (scikit-learn's make_friedman1): a standardised target, non-linear in 5 of 8 inputs.
  const rng = createRng(11);
  const table = (count: number) => {
    const inputs = Float32Array.from({ length: count * 8 }, () => rng.next());
    const labels = Float32Array.from({ length: count }, (_, i) => {
      const x = inputs.subarray(i * 8, i * 8 + 5);
      return (10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4] - 14.4) / 4.9;
    });
    return { inputs, labels, count };
  };
  const train = table(1600);
  const test = table(400);
  const input: ModelInput = { inputShape: [8] };
  const dense: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 1, activation: 'linear' }] };
  const withBatchNorm: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'dense', units: 32, activation: 'tanh' }, { type: 'batchNormalization', momentum: 0.9, epsilon: 0.001 }, { type: 'dense', units: 1, activation: 'linear' }] };

  it.each(REGRESSION_LOSSES.flatMap((loss) => [[loss, 'tfjs'], [loss, 'layers']] as const))('trains a %s regression like the %s engine step by step for 100 steps, and evaluates and predicts alike', async (loss, reference) => {
    await activateTfjsBackend('wasm');
    const spec = reference === 'tfjs' ? dense : withBatchNorm;
    const steps = createRng(5);
    const initial = initialWeights(spec, input, steps);
    const order = randomPermutation(train.count, steps);
    const batchSize = 16;
    const optimizer: OptimizerSpec = { ...adam, learningRate: 0.01 };
    const native = new NativeEngine(nativeNetwork(spec, input, optimizer, 3, loss), initial, train, batchSize);
    const objective = regressionObjective(loss);
    const tfjs = reference === 'tfjs'
      ? new TfjsEngine('wasm', denseStackOf(spec, input)!, initial, optimizer, train, batchSize, objective)
      : new LayersEngine('wasm', spec, input, initial, optimizer, train, batchSize, 3, objective);
    const losses: Array<[number, number]> = [];
    for (let step = 0; step < 100; step++) {
      const start = step * batchSize;
      losses.push([native.trainRange(order, start, start + batchSize).lossSum, tfjs.trainRange(order, start, start + batchSize).lossSum]);
    }
    // Deterministic models, the same steps: the summed losses agree to float32 rounding.
    for (const [ours, theirs] of losses) expect(Math.abs(ours - theirs) / theirs).toBeLessThan(2e-3);
    const mean = (pairs: typeof losses) => pairs.reduce((sum, [ours]) => sum + ours, 0) / pairs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) * 0.7);
    const [ours, theirs] = [native.assess(test).score, tfjs.assess(test).score];
    expect(Math.abs(ours.lossSum - theirs.lossSum) / theirs.lossSum).toBeLessThan(2e-3);
    expect(ours.correct).toBe(0);
    const [predictedHere, predictedThere] = [native.predict(test), tfjs.predict(test)];
    expect(predictedThere).toHaveLength(test.count);
    predictedHere.forEach((value, i) => expect(value).toBeCloseTo(predictedThere[i], 2));
    tfjs.dispose();
  });
});

describe('native engine: training profile', () => {
  it('ends the backward pass at the first layer with weights: below it nothing needs a gradient', () => {
    const input: ModelInput = { inputShape: [6, 6, 1] };
    const spec: ModelSpec = { initializer: 'glorotUniform', layers: [{ type: 'maxPooling2d', poolSize: 2 }, { type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] };
    const network = nativeNetwork(spec, input);
    network.setWeights(initialWeights(spec, input, createRng(2)));
    const inputs = Uint8Array.from({ length: 4 * 36 }, (_, k) => (k * 53) % 256);
    network.trainBatches(inputs, Uint8Array.of(0, 1, 2, 0), Uint32Array.of(0, 1, 2, 3), 0, 4, 2);
    const { layers } = network.trainingProfile();
    expect(layers.map(({ kind, inputGradient }) => [kind, inputGradient])).toEqual([['maxPooling2d', false], ['flatten', false], ['dense', false], ['dense', true]]);
    expect(layers.slice(0, 2).map(({ backwardSeconds }) => backwardSeconds)).toEqual([0, 0]);
    expect(layers[2].backwardSeconds).toBeGreaterThan(0);
    network.dispose();
  });


  it('times every layer it trains, the engine\'s own flatten too, over the training samples only', () => {
    const input: ModelInput = { inputShape: [8, 8, 1] };
    const options = nativeNetworkOptions(convBatchNormDropout, input, sgd, 1);
    const network = nativeNetwork(convBatchNormDropout, input);
    network.setWeights(initialWeights(convBatchNormDropout, input, createRng(1)));
    const count = 20;
    const inputs = Uint8Array.from({ length: count * 64 }, (_, k) => (k * 37) % 256);
    const labels = Uint8Array.from({ length: count }, (_, k) => k % 10);
    const order = Uint32Array.from({ length: count }, (_, k) => k);
    expect(network.trainingProfile().samples).toBe(0);
    network.trainBatches(inputs, labels, order, 0, count, 8);
    network.trainBatches(inputs, labels, order, 0, 12, 8);
    const trained = network.trainingProfile();
    expect(trained.samples).toBe(count + 12);
    // One entry per layer the engine runs, in order: the spec's, and the flatten it puts before the first dense layer.
    expect(trained.layers.map(({ kind, index }) => [kind, index])).toEqual(options.layers.map(({ type, index }) => [type, index]));
    expect(trained.layers.map(({ kind }) => kind)).toEqual(['conv2d', 'batchNormalization', 'maxPooling2d', 'dropout', 'flatten', 'dense', 'dense']);
    for (const layer of trained.layers) {
      expect(layer.forwardSeconds).toBeGreaterThan(0);
      expect(layer.backwardSeconds).toBeGreaterThan(0);
    }
    expect(trained.layers.map(({ inputGradient }) => inputGradient)).toEqual([false, true, true, true, true, true, true]);
    expect(trained.optimizerSeconds).toBeGreaterThan(0);
    // Evaluation and prediction are not training: the profile stays as it was.
    network.evaluate(inputs, labels);
    network.predict(inputs, labels);
    expect(network.trainingProfile()).toEqual(trained);
    network.dispose();
  });

  it('assesses a held-out set in one pass: exactly evaluate\'s loss and count and predict\'s outputs', () => {
    const input: ModelInput = { inputShape: [8, 8, 1] };
    const network = nativeNetwork(convBatchNormDropout, input);
    network.setWeights(initialWeights(convBatchNormDropout, input, createRng(2)));
    const inputs = Uint8Array.from({ length: 30 * 64 }, (_, k) => (k * 53) % 256);
    const labels = Uint8Array.from({ length: 30 }, (_, k) => (k * 7) % 10);
    const [lossSum, correct, predictions] = network.assess(inputs, labels);
    expect([lossSum, correct]).toEqual(network.evaluate(inputs, labels));
    expect(predictions).toEqual(network.predict(inputs, labels));
    expect(predictions).toHaveLength(30 * 10);
    network.dispose();
  });
});
