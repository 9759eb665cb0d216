import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import tf = require('@tensorflow/tfjs-core');
import { createRng, loadDataset } from '@specml/data';
import { ACTIVATION_KINDS, ACTIVATIONS, buildModel, exportOnnx, initialWeights, LAYER_KINDS, type LayerSpec, type ModelInput, type ModelSpec } from '@specml/model-zoo';
import { activateTfjsBackend, loadModel } from '@specml/trainer';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../spec/load-spec.js';
import { lastLine, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { checkOnnx, hasOnnxChecker } from '../test-kit/test-python.js';

// Export is checked by numbers, as torch.onnx and tf2onnx check theirs: ONNX Runtime runs the exported file
// on the test set and must give the run's own predictions; onnx's checker (Debian's python3-onnx) must pass.

const work = temporaryFolder('export');
const COUNT = 200;
const test = (await loadDataset({ dataset: 'mnist', testLimit: COUNT, trainLimit: 1, shuffle: false })).test;
const testPixels = test.inputs as Uint8Array;
const SPECS = {
  mlp: 'name: mlp\ndata: { trainLimit: 600, testLimit: 200 }\nmodel: { preset: mlp-tutorial }\nepochs: 1\n',
  lenet5: 'name: lenet5\ndata: { trainLimit: 600, testLimit: 200 }\nmodel: { preset: lenet5 }\nepochs: 1\n',
  // Every other kind and activation: strides and both paddings, batch norm on an image and on a vector,
  // dropout, both poolings.
  conv: `name: conv
data: { trainLimit: 600, testLimit: 200 }
model:
  initializer: heNormal
  layers:
    - { type: conv2d, filters: 6, kernelSize: 3, strides: 2, padding: same, activation: elu }
    - { type: batchNormalization, momentum: 0.9 }
    - { type: maxPooling2d, poolSize: 2 }
    - { type: dropout, rate: 0.3 }
    - { type: conv2d, filters: 8, kernelSize: 2, padding: valid, activation: selu }
    - { type: averagePooling2d, poolSize: 2, strides: 1 }
    - { type: flatten }
    - { units: 24, activation: leakyRelu }
    - { type: batchNormalization }
    - { units: 16, activation: tanh }
    - { units: 12, activation: sigmoid }
    - { units: 10, activation: softmax }
epochs: 2
`,
};
const runs: Record<string, string> = {};

/** The layer lists of the registry's kinds that read token ids. */
const tokenExamples = (Object.values(LAYER_KINDS) as unknown as { examples: LayerSpec[][]; examplesRead?: 'tokens' }[]).filter((kind) => kind.examplesRead === 'tokens').flatMap((kind) => kind.examples);

/** `count` texts' token ids of `length` positions from `vocabulary` ids, padded with 0 at the end as the data writes them. */
function tokenIds(count: number, length: number, vocabulary: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const ids = new Float32Array(count * length);
  for (let row = 0; row < count; row++) {
    const words = Math.floor(rng.next() * (length + 1));
    for (let t = 0; t < words; t++) ids[row * length + t] = 1 + Math.floor(rng.next() * (vocabulary - 1));
  }
  return ids;
}

/**
 * The largest difference between the tfjs model's probabilities and its ONNX export's under ONNX Runtime,
 * from seeded initial weights, on `values` (an image's pixels 0–255, which the tfjs model reads divided by
 * 255 as training does, or token ids).
 */
async function onnxDifference(spec: ModelSpec, input: ModelInput, values: Float32Array, seed: number): Promise<number> {
  const image = input.inputShape.length === 3;
  const count = values.length / input.inputShape.reduce((a, b) => a * b, 1);
  const weights = initialWeights(spec, input, createRng(seed));
  const model = buildModel(spec, input, weights);
  const own = tf.tidy(() => (model.predict(tf.tensor(image ? values.map((value) => value / 255) : values, [count, ...input.inputShape])) as tf.Tensor).dataSync() as Float32Array);
  model.dispose();
  const session = await ort.InferenceSession.create(exportOnnx(spec, input, weights, { task: 'classification', classNames: [] }));
  const onnx = (await session.run({ [image ? 'pixels' : 'features']: new ort.Tensor('float32', values, [count, ...input.inputShape]) })).probabilities.data as Float32Array;
  await session.release();
  expect(onnx.length).toBe(own.length);
  return Math.max(...own.map((value, index) => Math.abs(value - onnx[index])));
}
beforeAll(async () => {
  await activateTfjsBackend('cpu');
  for (const [name, text] of Object.entries(SPECS)) {
    writeFileSync(join(work, `${name}.yaml`), text);
    const run = specml(['exp', join(work, `${name}.yaml`), '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    runs[name] = lastLine(run.stdout);
  }
}, 120_000);

describe('export to ONNX', () => {
  it.each(Object.keys(SPECS))('%s: ONNX Runtime gives the run\'s own predictions on the test set within 1e-5, and the checker passes', async (name) => {
    const exported = specml(['export', '--run', runs[name]]);
    expect(exported.stderr).toBe('');
    expect(exported.stdout).toMatch(/^wrote \S+model\.onnx \([\d.]+ KiB, ONNX opset 13\): input pixels \[batch, \d+, \d+, \d+\] \(height, width, channels\) 0-255, output probabilities \[batch, classes\]\n$/);
    const file = join(runs[name], 'model.onnx');
    const session = await ort.InferenceSession.create(file);
    const result = await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(test.inputs), [COUNT, 28, 28, 1]) });
    const onnx = result.probabilities.data as Float32Array;
    const model = await loadModel(join(runs[name], 'model'));
    const own = tf.tidy(() => (model.predict(tf.tensor4d(Float32Array.from(testPixels, (value) => value / 255), [COUNT, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
    model.dispose();
    expect(result.probabilities.dims).toEqual([COUNT, 10]);
    expect(Math.max(...own.map((value, index) => Math.abs(value - onnx[index])))).toBeLessThan(1e-5);
    await session.release();
    if (hasOnnxChecker) expect(checkOnnx(file)).toEqual(['class_names', 'output', 'input', 'run', 'producer']);
  });

  it.each(readdirSync(join(root, 'experiments')).filter((file) => file.endsWith('.yaml')))('exports the model of experiments/%s as ONNX Runtime runs it', async (example) => {
    // Every example and preset exports: its model as built (seeded initial weights), compared on 20 test
    // images, or for a model of token ids on 20 texts' ids.
    const { spec } = loadSpec(join(root, 'experiments', example));
    if (spec.model.layers[0].type === 'embedding') {
      expect(await onnxDifference(spec.model, { inputShape: [40], vocabularySize: 500 }, tokenIds(20, 40, 500, spec.seed), spec.seed)).toBeLessThan(1e-5);
      return;
    }
    const images = Float32Array.from(testPixels.subarray(0, 20 * 784));
    expect(await onnxDifference(spec.model, { inputShape: [28, 28, 1] }, images, spec.seed)).toBeLessThan(1e-5);
  });

  it.each(tokenExamples.map((layers) => [JSON.stringify(layers), layers] as const))('a model of token ids through %s: ONNX Runtime gives tfjs\' predictions within 1e-5, and the checker passes', async (_, layers) => {
    // Every kind that reads a text's tokens (embedding, conv1d, the global poolings), from the registry.
    const model: ModelSpec = { initializer: 'glorotUniform', layers: [...layers, { type: 'dense', units: 3, activation: 'softmax' }] };
    const input = { inputShape: [12], vocabularySize: 30 };
    expect(await onnxDifference(model, input, tokenIds(16, 12, 30, 7), 7)).toBeLessThan(1e-5);
    if (!hasOnnxChecker) return;
    const file = join(work, `tokens-${tokenExamples.indexOf(layers)}.onnx`);
    writeFileSync(file, exportOnnx(model, input, initialWeights(model, input, createRng(7)), { task: 'classification', classNames: ['a', 'b', 'c'] }));
    expect(checkOnnx(file)).toEqual(['class_names', 'output', 'input']);
  });

  it.each(ACTIVATIONS)('the %s activation on a convolution (where element-wise) and a dense layer: ONNX Runtime gives tfjs\' predictions within 1e-5', async (activation) => {
    // Every registered activation, from the registry: a new one's ONNX nodes are checked as soon as it is registered.
    const convolution: LayerSpec[] = ACTIVATION_KINDS[activation].elementwise ? [{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation }] : [];
    const model: ModelSpec = { initializer: 'glorotUniform', layers: [...convolution, { type: 'flatten' }, { type: 'dense', units: 6, activation }, { type: 'dense', units: 3, activation: 'softmax' }] };
    const images = Float32Array.from(testPixels.subarray(0, 8 * 28 * 28));
    expect(await onnxDifference(model, { inputShape: [28, 28, 1] }, images, 11)).toBeLessThan(1e-5);
  });

  it('predicts through the export with --onnx what the tfjs model predicts', () => {
    const picture = join(work, 'seven.png');
    const canvas = createCanvas(28, 28);
    const context = canvas.getContext('2d');
    const image = context.createImageData(28, 28);
    for (let p = 0; p < 784; p++) image.data.set([testPixels[p], testPixels[p], testPixels[p], 255], p * 4);
    context.putImageData(image, 0, 0);
    writeFileSync(picture, canvas.toBuffer('image/png'));
    expect(specml(['export', '--run', runs.lenet5]).status).toBe(0);
    const viaTfjs = JSON.parse(specml(['predict', '--run', runs.lenet5, '--json', picture]).stdout);
    const viaOnnx = specml(['predict', '--run', runs.lenet5, '--onnx', '--json', picture]);
    expect(viaOnnx.status).toBe(0);
    const [onnx] = JSON.parse(viaOnnx.stdout);
    expect(onnx.class).toBe(viaTfjs[0].class);
    Object.entries(onnx.probabilities as Record<string, number>).forEach(([name, value]) => expect(Math.abs(value - viaTfjs[0].probabilities[name])).toBeLessThan(1e-5));
  });

  it('says in one sentence what is wrong with a bad request (exit 2), and writes nothing', () => {
    const notRun = join(work, 'not-a-run');
    mkdirSync(notRun);
    expect(specml(['export', '--run', notRun])).toMatchObject({ status: 2, stderr: `error: --run ${notRun}: not a run folder (it has no readable summary.json; give a run folder, e.g. runs/baseline/<run-id>)\n` });
    const noModel = join(work, 'no-model');
    cpSync(runs.mlp, noModel, { recursive: true });
    rmSync(join(noModel, 'model'), { recursive: true });
    rmSync(join(noModel, 'model.onnx'), { force: true });
    expect(specml(['export', '--run', noModel])).toMatchObject({ status: 2, stderr: `error: --run ${noModel}: this run has no saved model (model/model.json; it is completed): export a completed run\n` });
    const missing = join(work, 'missing-folder', 'model.onnx');
    expect(specml(['export', '--run', runs.mlp, '--out', missing])).toMatchObject({ status: 2, stderr: `error: --out ${missing}: the folder ${join(work, 'missing-folder')} does not exist (create it, or choose another --out)\n` });
    // A hand-edited spec.yaml is read as exp reads a spec: the mistake at its line, not an internal error.
    const edited = join(work, 'edited');
    cpSync(runs.mlp, edited, { recursive: true });
    rmSync(join(edited, 'model.onnx'), { force: true });
    writeFileSync(join(edited, 'spec.yaml'), readFileSync(join(edited, 'spec.yaml'), 'utf8').replace('type: dense', 'type: Dense'));
    const refused = specml(['export', '--run', edited]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^error: ${edited.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/spec\\.yaml:\\d+:\\d+: model\\.layers\\[0\\]\\.type: must be one of [a-zA-Z0-9, ]+; got the string "Dense" \\(did you mean "dense"\\?\\)\n$`));
    expect(existsSync(join(edited, 'model.onnx'))).toBe(false);
    // Somebody's existing file is not replaced unless asked.
    const existing = join(work, 'notes.txt');
    writeFileSync(existing, 'keep me');
    expect(specml(['export', '--run', runs.mlp, '--out', existing])).toMatchObject({ status: 2, stderr: `error: --out ${existing}: the file exists; choose another --out, or add --force to replace it\n` });
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expect(specml(['export', '--run', runs.mlp, '--out', existing, '--force']).status).toBe(0);
    expect(specml(['export', '--run', runs.mlp, '--format', 'tflite']).status).toBe(2);
    expect(existsSync(join(noModel, 'model.onnx')) || existsSync(join(notRun, 'model.onnx')) || existsSync(missing)).toBe(false);
  });
});
