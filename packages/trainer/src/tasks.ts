import { heldOutScores, type Dataset, type EpochMetrics, type ExampleSet, type TargetStatistics } from '@specml/data';
import type { ModelWeights } from '@specml/model-zoo';
import type { Score, TrainingEngine } from './engine.js';
import { REGRESSION_LOSS_KINDS, type RegressionLoss } from './losses/index.js';
import { classificationObjective, regressionObjective, type TfjsObjective } from './tfjs-objective.js';

/**
 * What depends on the task when training: the sets the engine reads, how a set's columns of metrics.csv
 * come from the engine, and what the saved model outputs.
 */
export interface TaskTraining {
  readonly train: ExampleSet;
  readonly test: ExampleSet;
  readonly validation?: ExampleSet;
  /** What a tfjs engine minimises and scores (the native engine is built with the same loss). */
  readonly objective: TfjsObjective;
  /** A set's columns (test_… or validation_…), and its predictions as testPredictions gives them. */
  evaluate(engine: TrainingEngine, which: 'test' | 'validation'): { columns: Partial<EpochMetrics>; predictions: Float32Array };
  /** The train columns from an epoch's summed score. */
  trainColumns(score: Score, samples: number): Partial<EpochMetrics>;
  /** The test set's predictions: class probabilities (count × classes), or numbers in the target's units. */
  testPredictions(engine: TrainingEngine): Float32Array;
  /** The weights the saved model holds (a regression's last layer turned back to the target's units). */
  savedWeights(weights: ModelWeights): ModelWeights;
}

export function classificationTraining(dataset: Dataset, classWeights?: readonly number[]): TaskTraining {
  const classes = dataset.classNames.length;
  return {
    train: dataset.train,
    test: dataset.test,
    validation: dataset.validation,
    objective: classificationObjective(classes, classWeights),
    evaluate: (engine, which) => {
      const set = which === 'test' ? dataset.test : dataset.validation!;
      const { score, predictions } = engine.assess(set);
      return { columns: { [`${which}_loss`]: score.lossSum / set.count, ...heldOutScores(which, 'classification', { truth: set.labels.subarray(0, set.count), predictions, classes }) }, predictions };
    },
    trainColumns: ({ lossSum, correct }, samples) => ({ train_loss: lossSum / samples, train_accuracy: correct / samples }),
    testPredictions: (engine) => engine.predict(dataset.test),
    savedWeights: (weights) => weights,
  };
}

/**
 * A regression: the engine trains on the standardised target (y − mean) / std, so that one learning rate
 * suits any units; every column of metrics.csv is in the target's units: MAE, RMSE and R² from the
 * predictions turned back, the loss as the engine computes it scaled back (mean squared error × std²,
 * mean absolute error × std, Huber × std²: Huber with threshold δ on the standardised target is std² times
 * Huber with threshold δ·std in the target's units, so its threshold is one std of the target).
 */
export function regressionTraining(dataset: Dataset, loss: RegressionLoss): TaskTraining {
  const target = dataset.target as TargetStatistics;
  const standardised = (set: ExampleSet): ExampleSet => ({ ...set, labels: Float32Array.from(set.labels, (value) => (value - target.mean) / target.std) });
  const sets = { train: standardised(dataset.train), test: standardised(dataset.test), validation: dataset.validation && standardised(dataset.validation) };
  const lossScale = target.std ** REGRESSION_LOSS_KINDS[loss].unitsPower;
  const inUnits = (outputs: Float32Array) => Float32Array.from(outputs, (value) => value * target.std + target.mean);
  return {
    ...sets,
    objective: regressionObjective(loss),
    evaluate: (engine, which) => {
      const [raw, set] = which === 'test' ? [dataset.test, sets.test] : [dataset.validation!, sets.validation!];
      const { score, predictions: outputs } = engine.assess(set);
      const predictions = inUnits(outputs);
      return { columns: { [`${which}_loss`]: (score.lossSum / raw.count) * lossScale, ...heldOutScores(which, 'regression', { truth: raw.labels.subarray(0, raw.count), predictions, classes: 1 }) }, predictions };
    },
    trainColumns: ({ lossSum }, samples) => ({ train_loss: (lossSum / samples) * lossScale }),
    testPredictions: (engine) => inUnits(engine.predict(sets.test)),
    savedWeights: (weights) => {
      // y = std · (x·W + b) + mean: the last dense layer's kernel and bias, scaled.
      const saved = weights.map((array) => Float32Array.from(array));
      const kernel = saved[saved.length - 2];
      const bias = saved[saved.length - 1];
      for (let k = 0; k < kernel.length; k++) kernel[k] *= target.std;
      bias[0] = bias[0] * target.std + target.mean;
      return saved;
    },
  };
}
