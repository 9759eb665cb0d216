import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';
import { fillBatch, type ImageSet } from '@specml/data';
import { buildModel, getModelWeights, logitsOf, type ModelInput, type ModelSpec, type ModelWeights } from '@specml/model-zoo';
import type { BackendName } from './backend.js';
import type { OptimizerState } from './checkpoint.js';
import type { Score, TrainingEngine } from './engine.js';
import { createTfjsOptimizer, exportOptimizerState, importOptimizerState, setTfjsLearningRate } from './optimizers.js';
import type { OptimizerSpec } from './schema.js';
import { evaluateInChunks, predictInChunks } from './chunked-evaluation.js';
import { scoreLogits } from './scoring.js';
import { addL2Penalty } from './tfjs-engine.js';

const EVALUATION_CHUNK = 1000;

/**
 * Trains any model of the zoo (convolutions, pooling, dropout, batch norm) through tfjs-layers: each step
 * applies the model's layers in training mode and minimises softmax cross-entropy on its logits.
 */
export class LayersEngine implements TrainingEngine {
  private readonly model: tfl.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly regularized: { kernels: tf.Variable[]; factors: number[] };
  private readonly pixels: Float32Array;
  private readonly oneHot: Float32Array;
  private readonly batchLabels: Uint8Array;
  private readonly imageShape: readonly [number, number, number];
  private readonly classCount: number;

  constructor(
    readonly backend: BackendName,
    spec: ModelSpec,
    input: ModelInput,
    initial: ModelWeights,
    optimizer: OptimizerSpec,
    private readonly train: ImageSet,
    private readonly batchSize: number,
    private readonly seed: number,
  ) {
    this.model = buildModel(spec, input, initial);
    this.imageShape = input.imageShape;
    this.classCount = (this.model.outputs[0].shape.at(-1) ?? 0) as number;
    this.variables = this.model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const kernels: tf.Variable[] = [];
    const factors: number[] = [];
    spec.layers.forEach((layer, index) => {
      if ((layer.type === 'dense' || layer.type === 'conv2d') && layer.l2) {
        kernels.push(this.model.getLayer(`${layer.type}_${index + 1}`).trainableWeights[0].read() as tf.Variable);
        factors.push(layer.l2);
      }
    });
    this.regularized = { kernels, factors };
    this.optimizer = createTfjsOptimizer(optimizer);
    const pixels = input.imageShape.reduce((a, b) => a * b, 1);
    this.pixels = new Float32Array(batchSize * pixels);
    this.oneHot = new Float32Array(batchSize * this.classCount);
    this.batchLabels = new Uint8Array(batchSize);
  }

  private batchTensor(pixels: Float32Array, count: number): tf.Tensor4D {
    return tf.tensor4d(pixels.subarray(0, count * this.pixels.length / this.batchSize), [count, ...this.imageShape]);
  }

  trainRange(order: Uint32Array, start: number, end: number): Score {
    let lossSum = 0;
    let correct = 0;
    // Dropout draws its masks from tfjs' default seed, Math.random: seeding it per chunk keeps runs
    // reproducible and resumable.
    withSeededMathRandom(`${this.seed}:${order[start]}:${start}`, () => {
      for (let first = start; first < end; first += this.batchSize) {
        const size = Math.min(this.batchSize, end - first);
        fillBatch(this.train, order, first, size, this.pixels, this.oneHot, this.classCount);
        for (let row = 0; row < size; row++) this.batchLabels[row] = this.train.labels[order[first + row]];
        const logits = tf.tidy(() => {
          const x = this.batchTensor(this.pixels, size);
          const y = tf.tensor2d(this.oneHot.subarray(0, size * this.classCount), [size, this.classCount]);
          let kept: tf.Tensor2D | undefined;
          const loss = this.optimizer.minimize(
            () => {
              kept = tf.keep(logitsOf(this.model, x, true));
              return addL2Penalty(tf.losses.softmaxCrossEntropy(y, kept), this.regularized.kernels, this.regularized.factors);
            },
            false,
            this.variables,
          );
          loss?.dispose();
          return kept!;
        });
        const score = scoreLogits(logits.dataSync() as Float32Array, this.batchLabels, size, this.classCount);
        logits.dispose();
        lossSum += score.lossSum;
        correct += score.correct;
        if (!Number.isFinite(score.lossSum)) break;
      }
    });
    return { lossSum, correct };
  }

  private readonly logitsOfImages = (pixels: Float32Array, count: number) => logitsOf(this.model, this.batchTensor(pixels, count), false);

  evaluate(set: ImageSet): Score {
    return evaluateInChunks(set, EVALUATION_CHUNK, this.classCount, this.logitsOfImages);
  }

  predict(set: ImageSet): Float32Array {
    return predictInChunks(set, EVALUATION_CHUNK, this.classCount, this.logitsOfImages);
  }

  weights(): ModelWeights {
    return getModelWeights(this.model);
  }

  setLearningRate(learningRate: number): void {
    setTfjsLearningRate(this.optimizer, learningRate);
  }

  optimizerState(): Promise<OptimizerState> {
    return exportOptimizerState(this.optimizer);
  }

  restoreOptimizerState(state: OptimizerState): Promise<void> {
    return importOptimizerState(this.optimizer, this.variables, state);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

function withSeededMathRandom(seed: string, work: () => void): void {
  const original = Math.random;
  Math.random = seedrandom.alea(seed);
  try {
    work();
  } finally {
    Math.random = original;
  }
}
