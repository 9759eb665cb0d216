import { join } from 'node:path';
import tf = require('@tensorflow/tfjs-core');
import { loadDataset } from '@specml/data';
import { getModelWeights, type ModelSpec } from '@specml/model-zoo';
import { readRun } from '@specml/reporter';
import { activateTfjsBackend, buildNativeNetwork, loadModel, nativeNetworkOptions } from '@specml/trainer';
import { exportRunToOnnx } from './export.js';

/**
 * `bench --predict RUN`: predictions per second on the MNIST test set (10,000 images, batches of 1,000)
 * through the run's ONNX export in ONNX Runtime, its tfjs model (cpu backend) and the native engine with
 * the same weights; each the median of 3 passes, after one to warm up.
 */
export async function benchPredictions(runDir: string): Promise<void> {
  const { test } = await loadDataset({ dataset: 'mnist' });
  const pixels = test.inputs as Uint8Array; // MNIST: pixel bytes
  const batch = 1000;
  const file = (await exportRunToOnnx(runDir, join(runDir, 'model.onnx'))).file;
  await activateTfjsBackend('cpu');
  const model = await loadModel(join(runDir, 'model'));
  const inputShape = model.inputs[0].shape.slice(1) as [number, number, number];
  const size = inputShape.reduce((a, b) => a * b, 1);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file);
  const weights = getModelWeights(model);
  const spec = readRun(runDir).spec as { model: ModelSpec; seed: number };
  const native = buildNativeNetwork(nativeNetworkOptions(spec.model, { inputShape }, { name: 'sgd', learningRate: 0 }, spec.seed));
  if (native.ok) native.value.setWeights(weights);
  const engines: Record<string, (images: Uint8Array, labels: Uint8Array, count: number) => Promise<void>> = {
    'ONNX Runtime': async (images, _, count) => void (await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(images), [count, ...inputShape]) })),
    'tfjs (cpu)': async (images, _, count) => tf.tidy(() => void (model.predict(tf.tensor4d(Float32Array.from(images, (value) => value / 255), [count, ...inputShape])) as tf.Tensor).dataSync()),
    ...(native.ok ? { native: async (images: Uint8Array, labels: Uint8Array) => void native.value.predict(images, labels) } : {}),
  };
  for (const [name, predict] of Object.entries(engines)) {
    const pass = async () => {
      const started = performance.now();
      for (let first = 0; first < test.count; first += batch) {
        const count = Math.min(batch, test.count - first);
        await predict(pixels.subarray(first * size, (first + count) * size), (test.labels as Uint8Array).subarray(first, first + count), count);
      }
      return test.count / ((performance.now() - started) / 1000);
    };
    await pass();
    const rates = [await pass(), await pass(), await pass()].sort((a, b) => a - b);
    console.log(`${name.padEnd(14)} ${Math.round(rates[1]).toLocaleString('en-US')} predictions/s`);
  }
  model.dispose();
  await session.release();
}
