import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isUserError, toMnistInput, UserError } from '@specml/data';
import { readImageFile, summaryIfReadable } from '@specml/reporter';
import { ONNX_NAMES } from '@specml/model-zoo';
import { activateTfjsBackend, loadModel } from '@specml/trainer';

export interface ImagePrediction {
  file: string;
  /** The predicted class's index: the digit, for MNIST. */
  digit: number;
  label: string;
  /** One probability per class, in class order. */
  probabilities: number[];
}

export interface PredictOutcome {
  classNames: string[];
  predictions: ImagePrediction[];
  /** One message per image that could not be read. */
  failures: string[];
  /** One message per image predicted from nothing (blank or uniform: no ink found). */
  warnings: string[];
}

/** Class names recorded by the run (summary.json), else (an older or partial run) the class indices. */
function classNamesOf(runDir: string, classCount: number): string[] {
  const names = summaryIfReadable(runDir)?.classNames;
  return names?.length === classCount ? names : Array.from({ length: classCount }, (_, index) => String(index));
}

/** What predicts: the run's tfjs model, or its ONNX export through ONNX Runtime (`--onnx`). */
interface Predictor {
  /** [height, width, channels] of the model's input. */
  readonly inputShape: readonly [number, number, number];
  /** Probabilities per image of `count` images of pixels in 0–1, NHWC. */
  predict(batch: Float32Array, count: number): Promise<number[][]>;
  dispose(): void;
}

async function tfjsPredictor(runDir: string): Promise<Predictor> {
  const modelDir = join(runDir, 'model');
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new UserError(`--run ${runDir}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)`);
  }
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  const model = await loadModel(modelDir);
  // The model's own input size: a run trained on 32×32 images predicts 32×32 inputs.
  const inputShape = model.inputs[0].shape.slice(1) as [number, number, number];
  return {
    inputShape,
    predict: async (batch, count) => tf.tidy(() => (model.predict(tf.tensor4d(batch, [count, ...inputShape])) as tf.Tensor2D).arraySync()),
    dispose: () => model.dispose(),
  };
}

/** The run's model exported to ONNX (`file`), run by ONNX Runtime: it takes pixels 0–255, as image files hold them. */
async function onnxPredictor(runDir: string, file: string): Promise<Predictor> {
  if (!existsSync(file)) throw new UserError(`--onnx ${file}: no such file (export the run first: npx specml export --run ${runDir})`);
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(file);
  } catch (error) {
    throw new UserError(`--onnx ${file}: ONNX Runtime cannot load it (${(error as Error).message.split('\n')[0]}); export the run again`);
  }
  const input = session.inputMetadata.find((meta) => meta.name === ONNX_NAMES.input);
  const dims = input && 'shape' in input ? input.shape.slice(1) : [];
  if (dims.length !== 3 || !dims.every((dim) => typeof dim === 'number')) throw new UserError(`--onnx ${file}: not a model specml exported (no ${ONNX_NAMES.input} input of [batch, height, width, channels])`);
  const inputShape = dims as unknown as [number, number, number];
  const classes = (output: Float32Array, count: number) => Array.from({ length: count }, (_, row) => Array.from(output.subarray((row * output.length) / count, ((row + 1) * output.length) / count)));
  return {
    inputShape,
    predict: async (batch, count) => {
      const pixels = Float32Array.from(batch, (value) => value * 255);
      const result = await session.run({ [ONNX_NAMES.input]: new ort.Tensor('float32', pixels, [count, ...inputShape]) });
      return classes(result[ONNX_NAMES.output].data as Float32Array, count);
    },
    dispose: () => void session.release(),
  };
}

/**
 * Predicts each image with a run's saved model, or with its ONNX export (`onnxFile`). Images that cannot be
 * read are reported in `failures` and the others are still predicted; a folder without a model is a UserError.
 */
export async function predictImageFiles(runDir: string, files: readonly string[], onnxFile?: string): Promise<PredictOutcome> {
  const predictor = onnxFile === undefined ? await tfjsPredictor(runDir) : await onnxPredictor(runDir, onnxFile);
  const [height, width, channels] = predictor.inputShape;
  const inputs: { file: string; pixels: Float32Array }[] = [];
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    try {
      const pixels = toMnistInput(await readImageFile(file), { height, width });
      if (!pixels.some((value) => value > 0)) warnings.push(`${file}: no ink found (a blank or uniform picture): its prediction means nothing`);
      inputs.push({ file, pixels });
    } catch (error) {
      if (!isUserError(error)) throw error;
      failures.push(error.message);
    }
  }
  const predictions: ImagePrediction[] = [];
  let classNames: string[] = summaryIfReadable(runDir)?.classNames ?? [];
  if (inputs.length > 0) {
    const pixels = height * width;
    const batch = new Float32Array(inputs.length * pixels * channels);
    // Grey images: the same ink in every channel of a model trained on several.
    inputs.forEach((input, index) => input.pixels.forEach((value, p) => batch.fill(value, (index * pixels + p) * channels, (index * pixels + p + 1) * channels)));
    const probabilities = await predictor.predict(batch, inputs.length);
    classNames = classNamesOf(runDir, probabilities[0].length);
    inputs.forEach((input, index) => {
      const row = probabilities[index];
      const digit = row.indexOf(Math.max(...row));
      predictions.push({ file: input.file, digit, label: classNames[digit], probabilities: row });
    });
  }
  predictor.dispose();
  return { classNames, predictions, failures, warnings };
}

/** `digit.png: 7 (7 0.981, 1 0.012, 9 0.003)`: the prediction and the top three probabilities. */
export function describePrediction(prediction: ImagePrediction, names: readonly string[]): string {
  const top = prediction.probabilities
    .map((probability, index) => ({ probability, index }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 3)
    .map(({ probability, index }) => `${names[index]} ${probability.toFixed(3)}`);
  return `${prediction.file}: ${prediction.label} (${top.join(', ')})`;
}
