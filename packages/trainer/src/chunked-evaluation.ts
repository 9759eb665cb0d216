import tf = require('@tensorflow/tfjs-core');
import { inputsAsFloats, type ExampleSet } from '@specml/data';
import type { Score } from './engine.js';
import type { TfjsObjective } from './tfjs-objective.js';

/** An engine's forward pass to logits for `count` images given as floats in [0, 1]. */
export type LogitsOfImages = (pixels: Float32Array, count: number) => tf.Tensor2D;

/** Runs a set through the model in large chunks (small batches are very slow on wasm), one chunk of logits at a time. */
function forEachLogitsChunk(set: ExampleSet, chunk: number, logitsOf: LogitsOfImages, visit: (logits: Float32Array, start: number, count: number) => void): void {
  for (let start = 0; start < set.count; start += chunk) {
    const count = Math.min(chunk, set.count - start);
    const logits = tf.tidy(() => logitsOf(inputsAsFloats(set, start, count), count));
    visit(logits.dataSync() as Float32Array, start, count);
    logits.dispose();
  }
}

export function evaluateInChunks(set: ExampleSet, chunk: number, objective: TfjsObjective, logitsOf: LogitsOfImages): Score {
  const total: Score = { lossSum: 0, correct: 0 };
  forEachLogitsChunk(set, chunk, logitsOf, (logits, start, count) => {
    const score = objective.score(logits, set.labels.subarray(start, start + count), count);
    total.lossSum += score.lossSum;
    total.correct += score.correct;
  });
  return total;
}

export function predictInChunks(set: ExampleSet, chunk: number, objective: TfjsObjective, logitsOf: LogitsOfImages): Float32Array {
  const predictions = new Float32Array(set.count * objective.width);
  forEachLogitsChunk(set, chunk, logitsOf, (logits, start) => predictions.set(objective.predictions(logits), start * objective.width));
  return predictions;
}
