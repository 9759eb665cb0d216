import * as tf from '@tensorflow/tfjs-core';
import { fillBatch, imagesAsFloats, type ImageSet } from '@specml/data';
import type { Activation, DenseStack, DenseWeights } from '@specml/model-zoo';
import type { BackendName } from './backend.js';
import type { OptimizerState } from './checkpoint.js';
import type { Score, TrainingEngine } from './engine.js';
import { createTfjsOptimizer } from './optimizers.js';
import type { OptimizerSpec } from './schema.js';
import { scoreLogits, softmaxRows } from './scoring.js';

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
  private readonly pixels: Float32Array;
  private readonly oneHot: Float32Array;
  private readonly batchLabels: Uint8Array;
  private readonly inputSize: number;
  private readonly classCount: number;

  constructor(
    readonly backend: BackendName,
    private readonly stack: DenseStack,
    initial: readonly DenseWeights[],
    optimizer: OptimizerSpec,
    private readonly train: ImageSet,
    private readonly batchSize: number,
  ) {
    this.inputSize = stack.sizes[0];
    this.classCount = stack.sizes.at(-1)!;
    // tfjs variable names are global to the process: a prefix per engine lets several coexist.
    const prefix = `engine${++engineCount}`;
    this.kernels = initial.map((layer, l) => tf.variable(tf.tensor2d(layer.kernel, [stack.sizes[l], stack.sizes[l + 1]]), true, `${prefix}_kernel_${l}`));
    this.biases = initial.map((layer, l) => tf.variable(tf.tensor1d(layer.bias), true, `${prefix}_bias_${l}`));
    this.optimizer = createTfjsOptimizer(optimizer);
    this.pixels = new Float32Array(batchSize * this.inputSize);
    this.oneHot = new Float32Array(batchSize * this.classCount);
    this.batchLabels = new Uint8Array(batchSize);
  }

  /** The last layer's pre-softmax output: the loss takes logits, for numerical stability. */
  private logits(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.kernels.length - 1;
    this.kernels.forEach((kernel, l) => {
      h = denseLayer(h, kernel, this.biases[l], l === last ? 'linear' : this.stack.activations[l]);
    });
    return h;
  }

  trainRange(order: Uint32Array, start: number, end: number): Score {
    let lossSum = 0;
    let correct = 0;
    const variables = [...this.kernels, ...this.biases];
    for (let first = start; first < end; first += this.batchSize) {
      const size = Math.min(this.batchSize, end - first);
      fillBatch(this.train, order, first, size, this.pixels, this.oneHot, this.classCount);
      for (let row = 0; row < size; row++) this.batchLabels[row] = this.train.labels[order[first + row]];
      const logits = tf.tidy(() => {
        const x = tf.tensor2d(this.pixels.subarray(0, size * this.inputSize), [size, this.inputSize]);
        const y = tf.tensor2d(this.oneHot.subarray(0, size * this.classCount), [size, this.classCount]);
        let kept: tf.Tensor2D | undefined;
        const loss = this.optimizer.minimize(
          () => {
            kept = tf.keep(this.logits(x));
            return tf.losses.softmaxCrossEntropy(y, kept);
          },
          false,
          variables,
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
    return { lossSum, correct };
  }

  /** Runs the stack over a set in large chunks (small batches are very slow on wasm), one chunk of logits at a time. */
  private forEachLogitsChunk(set: ImageSet, visit: (logits: Float32Array, start: number, count: number) => void): void {
    for (let start = 0; start < set.count; start += EVALUATION_CHUNK) {
      const count = Math.min(EVALUATION_CHUNK, set.count - start);
      const logits = tf.tidy(() => this.logits(tf.tensor2d(imagesAsFloats(set, start, count), [count, this.inputSize])));
      visit(logits.dataSync() as Float32Array, start, count);
      logits.dispose();
    }
  }

  evaluate(set: ImageSet): Score {
    const total: Score = { lossSum: 0, correct: 0 };
    this.forEachLogitsChunk(set, (logits, start, count) => {
      const score = scoreLogits(logits, set.labels.subarray(start, start + count), count, this.classCount);
      total.lossSum += score.lossSum;
      total.correct += score.correct;
    });
    return total;
  }

  predict(set: ImageSet): Float32Array {
    const probabilities = new Float32Array(set.count * this.classCount);
    this.forEachLogitsChunk(set, (logits, start) => probabilities.set(softmaxRows(logits, this.classCount), start * this.classCount));
    return probabilities;
  }

  weights(): DenseWeights[] {
    return this.kernels.map((kernel, l) => ({
      kernel: kernel.dataSync() as Float32Array,
      bias: this.biases[l].dataSync() as Float32Array,
    }));
  }

  async optimizerState(): Promise<OptimizerState> {
    const [iterations, ...slots] = await this.optimizer.getWeights();
    return {
      step: (await iterations.tensor.data())[0],
      tensors: await Promise.all(slots.map(async ({ name, tensor }) => ({ name, values: (await tensor.data()) as Float32Array }))),
      scalars: adamPowers(this.optimizer).map((power) => power.dataSync()[0]),
    };
  }

  async restoreOptimizerState(state: OptimizerState): Promise<void> {
    // Slots come per variable in the order of the variable list, group after group (Adam: every m, then
    // every v), each named "<variable>/<slot>"; they are matched to this engine's variables by position.
    const variables = [...this.kernels, ...this.biases];
    await this.optimizer.setWeights([
      { name: 'iter', tensor: tf.scalar(state.step, 'int32') },
      ...state.tensors.map(({ name, values }, index) => {
        const variable = variables[index % variables.length];
        return { name: `${variable.name}/${name.split('/').at(-1)}`, tensor: tf.tensor(values, variable.shape) };
      }),
    ]);
    // setWeights recomputes Adam's β^t with pow(); the saved running products keep a resumed run bit-identical.
    adamPowers(this.optimizer).forEach((power, index) => power.assign(tf.scalar(state.scalars[index])));
  }

  dispose(): void {
    this.optimizer.dispose();
    tf.dispose([...this.kernels, ...this.biases]);
  }
}

/** tf.train.adam keeps β1^t and β2^t as running products in private variables. */
function adamPowers(optimizer: tf.Optimizer): tf.Variable[] {
  const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return adam.accBeta1 && adam.accBeta2 ? [adam.accBeta1, adam.accBeta2] : [];
}

/** tf.fused.matMul differentiates through linear and relu only; other activations run as their own op. */
function denseLayer(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  if (activation === 'linear' || activation === 'relu') return tf.fused.matMul({ a: x, b: kernel, bias, activation }) as tf.Tensor2D;
  const z = tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D;
  switch (activation) {
    case 'sigmoid':
      return tf.sigmoid(z) as tf.Tensor2D;
    case 'tanh':
      return tf.tanh(z) as tf.Tensor2D;
    case 'softmax':
      return tf.softmax(z) as tf.Tensor2D;
  }
}
