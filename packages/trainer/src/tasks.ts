import { macroF1, predictedClasses, rocAuc, type Dataset, type EpochMetrics, type ExampleSet, type TargetStatistics } from '@specml/data';
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
  /** A set's columns (test_… or validation_…). */
  evaluate(engine: TrainingEngine, which: 'test' | 'validation'): Partial<EpochMetrics>;
  /** The train columns from an epoch's summed score. */
  trainColumns(score: Score, samples: number): Partial<EpochMetrics>;
  /** The test set's predictions: class probabilities (count × classes), or numbers in the target's units. */
  testPredictions(engine: TrainingEngine): Float32Array;
  /** The weights the saved model holds (a regression's last layer turned back to the target's units). */
  savedWeights(weights: ModelWeights): ModelWeights;
}

export function classificationTraining(dataset: Dataset, classWeights?: readonly number[]): TaskTraining {
  const classes = dataset.classNames.length;
  const score = (engine: TrainingEngine, set: ExampleSet) => {
    const { lossSum, correct } = engine.evaluate(set);
    const probabilities = engine.predict(set);
    const labels = set.labels.subarray(0, set.count);
    return { loss: lossSum / set.count, accuracy: correct / set.count, f1: macroF1(labels, predictedClasses(probabilities, classes), classes), auc: rocAuc(labels, probabilities, classes) };
  };
  return {
    train: dataset.train,
    test: dataset.test,
    validation: dataset.validation,
    objective: classificationObjective(dataset.classNames.length, classWeights),
    evaluate: (engine, which) => {
      const { loss, accuracy, f1, auc } = score(engine, which === 'test' ? dataset.test : dataset.validation!);
      return which === 'test' ? { test_loss: loss, test_accuracy: accuracy, test_f1: f1, test_auc: auc } : { validation_loss: loss, validation_accuracy: accuracy, validation_f1: f1, validation_auc: auc };
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
  const columns = (engine: TrainingEngine, raw: ExampleSet, set: ExampleSet) => {
    const predicted = inUnits(engine.predict(set));
    const truth = raw.labels as Float32Array;
    const mean = truth.reduce((sum, value) => sum + value, 0) / raw.count;
    let absolute = 0;
    let squared = 0;
    let total = 0;
    for (let i = 0; i < raw.count; i++) {
      const error = predicted[i] - truth[i];
      absolute += Math.abs(error);
      squared += error * error;
      total += (truth[i] - mean) ** 2;
    }
    return { loss: (engine.evaluate(set).lossSum / raw.count) * lossScale, mae: absolute / raw.count, rmse: Math.sqrt(squared / raw.count), r2: total > 0 ? 1 - squared / total : Number.NaN };
  };
  return {
    ...sets,
    objective: regressionObjective(loss),
    evaluate: (engine, which) => {
      if (which === 'test') {
        const { loss, mae, rmse, r2 } = columns(engine, dataset.test, sets.test);
        return { test_loss: loss, test_mae: mae, test_rmse: rmse, test_r2: r2 };
      }
      const { loss, mae, rmse, r2 } = columns(engine, dataset.validation!, sets.validation!);
      return { validation_loss: loss, validation_mae: mae, validation_rmse: rmse, validation_r2: r2 };
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
