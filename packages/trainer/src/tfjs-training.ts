import tf = require('@tensorflow/tfjs-core');
import { fillInputs, type ExampleSet } from '@specml/data';
import type { Score } from './engine.js';
import type { TfjsObjective } from './tfjs-objective.js';
import { stepRowsRead, type RowTable } from './tfjs-rows-read.js';

/** What a tfjs engine trains with: its optimizer and variables, its forward pass, its L2 terms. */
export interface TfjsTraining {
  readonly optimizer: tf.Optimizer;
  readonly variables: tf.Variable[];
  readonly l2: { readonly kernels: readonly tf.Tensor[]; readonly factors: readonly number[] };
  /** Tables stepped only in the rows each batch reads (an embedding's): see stepRowsRead. */
  readonly rowTables: readonly RowTable[];
  /** The outputs the loss takes (a classifier's logits) for `size` examples given as floats, in training mode. */
  logits(pixels: Float32Array, size: number): tf.Tensor2D;
}

/** Reusable buffers for one batch, filled from typed arrays (never sliced out of a big tensor). */
export class BatchBuffers {
  readonly pixels: Float32Array;
  readonly targets: Float32Array;
  readonly labels: Float32Array;

  constructor(
    private readonly train: ExampleSet,
    readonly batchSize: number,
    exampleSize: number,
    readonly objective: TfjsObjective,
  ) {
    this.pixels = new Float32Array(batchSize * exampleSize);
    this.targets = new Float32Array(batchSize * objective.width);
    this.labels = new Float32Array(batchSize);
  }

  fill(order: Uint32Array, first: number, size: number): void {
    fillInputs(this.train, order, first, size, this.pixels);
    for (let row = 0; row < size; row++) this.labels[row] = this.train.labels[order[first + row]];
    this.objective.targets(this.labels, size, this.targets);
  }
}

/**
 * One optimizer step per batch over order[start, end): the objective's loss (plus L2) on the outputs,
 * which are downloaded once per step to score the loss (and accuracy). Stops at a non-finite loss.
 */
export function trainRangeOnTfjs(training: TfjsTraining, batches: BatchBuffers, order: Uint32Array, start: number, end: number): Score {
  const { objective } = batches;
  let lossSum = 0;
  let correct = 0;
  for (let first = start; first < end; first += batches.batchSize) {
    const size = Math.min(batches.batchSize, end - first);
    batches.fill(order, first, size);
    const outputs = stepRowsRead(training.optimizer, training.rowTables, batches.pixels, size, () =>
      tf.tidy(() => {
        const y = tf.tensor2d(batches.targets.subarray(0, size * objective.width), [size, objective.width]);
        let kept: tf.Tensor2D | undefined;
        const loss = training.optimizer.minimize(
          () => {
            kept = tf.keep(training.logits(batches.pixels, size));
            return addL2Penalty(objective.loss(y, kept), training.l2.kernels, training.l2.factors);
          },
          false,
          training.variables,
        );
        loss?.dispose();
        return kept!;
      }),
    );
    const score = objective.score(outputs.dataSync() as Float32Array, batches.labels, size);
    outputs.dispose();
    lossSum += score.lossSum;
    correct += score.correct;
    if (!Number.isFinite(score.lossSum)) break;
  }
  return { lossSum, correct };
}

/** loss + Σ l2 · Σ w² over the kernels that have an L2 factor. */
export function addL2Penalty(loss: tf.Scalar, kernels: readonly tf.Tensor[], factors: readonly number[]): tf.Scalar {
  const penalties = kernels.flatMap((kernel, index) => (factors[index] > 0 ? [tf.mul(factors[index], tf.sum(tf.square(kernel)))] : []));
  return penalties.length ? (tf.addN([loss, ...penalties]) as tf.Scalar) : loss;
}
