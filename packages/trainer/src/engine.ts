import type { ExampleSet } from '@specml/data';
import type { ModelWeights } from '@specml/model-zoo';
import type { BackendName } from './backend.js';
import type { OptimizerState } from './checkpoint.js';

export interface Score {
  /** Summed (not mean) cross-entropy. */
  lossSum: number;
  correct: number;
}

/** Trains one dense stack on one training set; the fused kernel and the tfjs path both implement it. */
export interface TrainingEngine {
  readonly backend: BackendName;
  /** One optimizer step per batch of `batchSize` over order[start, end) (the last batch may be shorter). */
  trainRange(order: Uint32Array, start: number, end: number): Score;
  evaluate(set: ExampleSet): Score;
  /** Softmax probabilities for every image of a set: count × classes, row after row. */
  predict(set: ExampleSet): Float32Array;
  /** The trained weights, layer by layer (see ModelWeights). */
  weights(): ModelWeights;
  /** Used from the next step on (learning-rate schedules). */
  setLearningRate(learningRate: number): void;
  optimizerState(): Promise<OptimizerState>;
  restoreOptimizerState(state: OptimizerState): Promise<void>;
  dispose(): void;
}
