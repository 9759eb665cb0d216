import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isUserError, toMnistInput, UserError } from '@specml/data';
import { readImageFile, summaryIfReadable } from '@specml/reporter';
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

/**
 * Predicts each image with a run's saved model. Images that cannot be read are reported in `failures`
 * and the others are still predicted; a folder without a model is a UserError.
 */
export async function predictImageFiles(runDir: string, files: readonly string[]): Promise<PredictOutcome> {
  const modelDir = join(runDir, 'model');
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new UserError(`--run ${runDir}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)`);
  }
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  tf.enableProdMode();
  const model = await loadModel(modelDir);
  // The model's own input size: a run trained on 32×32 images predicts 32×32 inputs.
  const [height, width, channels] = model.inputs[0].shape.slice(1) as number[];
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
  const classCount = (model.outputs[0].shape.at(-1) ?? 0) as number;
  const classNames = classNamesOf(runDir, classCount);
  if (inputs.length > 0) {
    const pixels = height * width;
    const batch = new Float32Array(inputs.length * pixels * channels);
    // Grey images: the same ink in every channel of a model trained on several.
    inputs.forEach((input, index) => input.pixels.forEach((value, p) => batch.fill(value, (index * pixels + p) * channels, (index * pixels + p + 1) * channels)));
    const probabilities = tf.tidy(() => (model.predict(tf.tensor4d(batch, [inputs.length, height, width, channels])) as tf.Tensor2D).arraySync());
    inputs.forEach((input, index) => {
      const row = probabilities[index];
      const digit = row.indexOf(Math.max(...row));
      predictions.push({ file: input.file, digit, label: classNames[digit], probabilities: row });
    });
  }
  model.dispose();
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
