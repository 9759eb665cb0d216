import tf = require('@tensorflow/tfjs-core');
import type { Score } from './engine.js';
import { REGRESSION_LOSS_KINDS, type RegressionLoss } from './losses/index.js';
import { scoreLogits, softmaxRows } from './scoring.js';

/**
 * What a tfjs engine minimises on its model's outputs and how it scores them: softmax cross-entropy over
 * the classes (the outputs are logits), or a regression loss on one number (the standardised target). The
 * native engine computes the same (native/losses.cc: tf.losses' definitions, Huber's threshold 1).
 */
export interface TfjsObjective {
  /** Outputs per example: the number of classes, or 1. */
  readonly width: number;
  /** Writes the targets of a batch whose labels are `labels[0 … size)` as a size × width matrix. */
  targets(labels: Float32Array, size: number, into: Float32Array): void;
  /** A batch's mean loss: what the optimizer minimises. */
  loss(targets: tf.Tensor2D, outputs: tf.Tensor2D): tf.Scalar;
  /** The summed loss (and, for classes, how many are right) of `count` rows of outputs against their labels. */
  score(outputs: Float32Array, labels: ArrayLike<number>, count: number): Score;
  /** What an engine's predict returns: each row's class probabilities, or its number. */
  predictions(outputs: Float32Array): Float32Array;
}

/**
 * Softmax cross-entropy over the classes; with `classWeights` each example's loss is weighted by its class's
 * weight (Keras' class_weight: the batch's mean of weighted losses), as the native engine weighs its gradient.
 */
export function classificationObjective(classCount: number, classWeights?: readonly number[]): TfjsObjective {
  return {
    width: classCount,
    targets: (labels, size, into) => {
      into.fill(0, 0, size * classCount);
      for (let row = 0; row < size; row++) into[row * classCount + labels[row]] = 1;
    },
    loss: (targets, logits) =>
      classWeights
        ? // The default reduction, SUM_BY_NONZERO_WEIGHTS, divides the weighted sum by the batch size (the weights are positive).
          tf.losses.softmaxCrossEntropy(targets, logits, tf.reshape(tf.matMul(targets, tf.tensor2d([...classWeights], [classCount, 1])), [-1]))
        : tf.losses.softmaxCrossEntropy(targets, logits),
    score: (logits, labels, count) => scoreLogits(logits, labels, count, classCount),
    predictions: (logits) => softmaxRows(logits, classCount),
  };
}

export function regressionObjective(loss: RegressionLoss): TfjsObjective {
  const { tfjs, of } = REGRESSION_LOSS_KINDS[loss];
  return {
    width: 1,
    targets: (labels, size, into) => into.set(labels.subarray(0, size)),
    loss: tfjs,
    score: (outputs, labels, count) => {
      let lossSum = 0;
      for (let row = 0; row < count; row++) lossSum += of(outputs[row] - labels[row]);
      return { lossSum, correct: 0 };
    },
    predictions: (outputs) => Float32Array.from(outputs),
  };
}
