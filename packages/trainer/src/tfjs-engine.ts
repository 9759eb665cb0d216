import tf = require('@tensorflow/tfjs-core');
import type { ExampleSet } from '@specml/data';
import { ACTIVATION_KINDS, type Activation, type DenseStack, type ModelWeights } from '@specml/model-zoo';
import type { BackendName } from './backend.js';
import type { OptimizerState } from './checkpoint.js';
import type { Assessment, Score, TrainingEngine } from './engine.js';
import { createTfjsOptimizer, exportOptimizerState, importOptimizerState, setTfjsLearningRate } from './tfjs-optimizers.js';
import type { OptimizerSpec } from './schema.js';
import { evaluateInChunks, predictInChunks } from './chunked-evaluation.js';
import { BatchBuffers, trainRangeOnTfjs, type TfjsTraining } from './tfjs-training.js';
import type { TfjsObjective } from './tfjs-objective.js';

const EVALUATION_CHUNK = 2000;

let engineCount = 0;

/**
 * The tfjs training path and the numerical reference for the fused kernel: a hand-written loop over the
 * stack's variables (no Layers API per step), batches built from typed arrays, fused matmul+bias+activation,
 * loss and accuracy read from one download of the logits per step.
 */
export class TfjsEngine implements TrainingEngine {
  private readonly kernels: tf.Variable<tf.Rank.R2>[];
  private readonly biases: tf.Variable<tf.Rank.R1>[];
  private readonly optimizer: tf.Optimizer;
  private readonly batches: BatchBuffers;
  private readonly training: TfjsTraining;
  private readonly inputSize: number;

  constructor(
    readonly backend: BackendName,
    private readonly stack: DenseStack,
    initial: ModelWeights,
    optimizer: OptimizerSpec,
    train: ExampleSet,
    batchSize: number,
    private readonly objective: TfjsObjective,
  ) {
    this.inputSize = stack.sizes[0];
    // tfjs variable names are global to the process: a prefix per engine lets several coexist.
    const prefix = `engine${++engineCount}`;
    const layers = stack.sizes.length - 1;
    this.kernels = Array.from({ length: layers }, (_, l) => tf.variable(tf.tensor2d(initial[2 * l], [stack.sizes[l], stack.sizes[l + 1]]), true, `${prefix}_kernel_${l}`));
    this.biases = Array.from({ length: layers }, (_, l) => tf.variable(tf.tensor1d(initial[2 * l + 1]), true, `${prefix}_bias_${l}`));
    this.optimizer = createTfjsOptimizer(optimizer);
    this.batches = new BatchBuffers(train, batchSize, this.inputSize, objective);
    this.training = {
      optimizer: this.optimizer,
      variables: [...this.kernels, ...this.biases],
      l2: { kernels: this.kernels, factors: stack.l2 },
      rowTables: [],
      logits: (pixels, size) => this.logits(tf.tensor2d(pixels.subarray(0, size * this.inputSize), [size, this.inputSize])),
    };
  }

  /** The last layer's output before its activation (softmax: the loss takes logits, for numerical stability; a regression's is linear). */
  private logits(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.kernels.length - 1;
    this.kernels.forEach((kernel, l) => {
      h = denseLayer(h, kernel, this.biases[l], l === last ? 'linear' : this.stack.activations[l]);
    });
    return h;
  }

  trainRange(order: Uint32Array, start: number, end: number): Score {
    return trainRangeOnTfjs(this.training, this.batches, order, start, end);
  }

  private readonly logitsOfImages = (pixels: Float32Array, count: number) => this.logits(tf.tensor2d(pixels, [count, this.inputSize]));

  assess(set: ExampleSet): Assessment {
    return { score: evaluateInChunks(set, EVALUATION_CHUNK, this.objective, this.logitsOfImages), predictions: this.predict(set) };
  }

  predict(set: ExampleSet): Float32Array {
    return predictInChunks(set, EVALUATION_CHUNK, this.objective, this.logitsOfImages);
  }

  weights(): ModelWeights {
    return this.kernels.flatMap((kernel, l) => [kernel.dataSync() as Float32Array, this.biases[l].dataSync() as Float32Array]);
  }

  setWeights(weights: ModelWeights): void {
    this.kernels.forEach((kernel, l) => tf.tidy(() => kernel.assign(tf.tensor2d(weights[2 * l], kernel.shape as [number, number]))));
    this.biases.forEach((bias, l) => tf.tidy(() => bias.assign(tf.tensor1d(weights[2 * l + 1]))));
  }

  setLearningRate(learningRate: number): void {
    setTfjsLearningRate(this.optimizer, learningRate);
  }

  optimizerState(): Promise<OptimizerState> {
    return exportOptimizerState(this.optimizer);
  }

  restoreOptimizerState(state: OptimizerState): Promise<void> {
    return importOptimizerState(this.optimizer, [...this.kernels, ...this.biases], state);
  }

  dispose(): void {
    this.optimizer.dispose();
    tf.dispose([...this.kernels, ...this.biases]);
  }
}

/** tf.fused.matMul differentiates through linear and relu only; other activations run as their own op. */
function denseLayer(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  const kind = ACTIVATION_KINDS[activation];
  if (kind.fusedMatMul) return tf.fused.matMul({ a: x, b: kernel, bias, activation: kind.fusedMatMul }) as tf.Tensor2D;
  return kind.apply(tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D) as tf.Tensor2D;
}
