import type { ExampleSet } from '@specml/data';
import type { ModelWeights } from '@specml/model-zoo';
import type { BackendName, TrainingProfile } from './backend.js';
import type { OptimizerState } from './checkpoint.js';

export interface Score {
  /** The summed (not mean) loss: cross-entropy, or a regression's loss on the standardised target. */
  lossSum: number;
  correct: number;
}

/** A held-out set's summed loss and correct count, and every example's prediction (as predict gives them). */
export interface Assessment {
  readonly score: Score;
  readonly predictions: Float32Array;
}

/** Trains one model on one training set; the native engine and the tfjs paths implement it. */
export interface TrainingEngine {
  readonly backend: BackendName;
  /** One optimizer step per batch of `batchSize` over order[start, end) (the last batch may be shorter). */
  trainRange(order: Uint32Array, start: number, end: number): Score;
  /** The loss and the predictions of a held-out set (the native engine computes both in one pass). */
  assess(set: ExampleSet): Assessment;
  /** For every example of a set: its softmax probabilities (count × classes, row after row), or a regression's number. */
  predict(set: ExampleSet): Float32Array;
  /**
   * The trained weights, layer by layer (see ModelWeights). An engine may write them into `reuse`, an earlier
   * copy of its own that nothing else holds, instead of new memory (the native engine does; tfjs' copy anyway).
   */
  weights(reuse?: ModelWeights): ModelWeights;
  /** Replaces the weights (early stopping's restoreBest puts the best epoch's back before the final predictions). */
  setWeights(weights: ModelWeights): void;
  /** Used from the next step on (learning-rate schedules). */
  setLearningRate(learningRate: number): void;
  optimizerState(): Promise<OptimizerState>;
  restoreOptimizerState(state: OptimizerState): Promise<void>;
  /** Where training time went, layer by layer (the native engine times its layers; tfjs engines do not). */
  trainingProfile?(): TrainingProfile;
  dispose(): void;
}
