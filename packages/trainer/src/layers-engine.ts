import tf = require('@tensorflow/tfjs-core');
import type * as tfl from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';
import type { ExampleSet } from '@specml/data';
import { buildModel, getModelWeights, setModelWeights, logitsOf, type ModelInput, type ModelSpec, type ModelWeights } from '@specml/model-zoo';
import type { BackendName } from './backend.js';
import type { OptimizerState } from './checkpoint.js';
import type { Assessment, Score, TrainingEngine } from './engine.js';
import { createTfjsOptimizer, exportOptimizerState, importOptimizerState, setTfjsLearningRate } from './tfjs-optimizers.js';
import type { OptimizerSpec } from './schema.js';
import { evaluateInChunks, predictInChunks } from './chunked-evaluation.js';
import { BatchBuffers, trainRangeOnTfjs, type TfjsTraining } from './tfjs-training.js';
import { embeddingTable } from './tfjs-rows-read.js';
import type { TfjsObjective } from './tfjs-objective.js';

const EVALUATION_CHUNK = 1000;

/**
 * Trains any model of the zoo (convolutions, pooling, dropout, batch norm) through tfjs-layers: each step
 * applies the model's layers in training mode and minimises the objective (softmax cross-entropy on its
 * logits, or a regression loss on its number).
 */
export class LayersEngine implements TrainingEngine {
  private readonly model: tfl.LayersModel;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly batches: BatchBuffers;
  private readonly training: TfjsTraining;
  private readonly inputShape: readonly number[];
  private readonly exampleSize: number;

  constructor(
    readonly backend: BackendName,
    spec: ModelSpec,
    input: ModelInput,
    initial: ModelWeights,
    optimizer: OptimizerSpec,
    train: ExampleSet,
    batchSize: number,
    private readonly seed: number,
    private readonly objective: TfjsObjective,
  ) {
    this.model = buildModel(spec, input, initial);
    this.inputShape = input.inputShape;
    this.variables = this.model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const kernels: tf.Variable[] = [];
    const factors: number[] = [];
    spec.layers.forEach((layer, index) => {
      // Any kind with an l2 key penalises its kernel: the first weight of its tfjs layer `<type>_<index>`.
      const l2 = 'l2' in layer ? layer.l2 : undefined;
      if (l2) {
        kernels.push(this.model.getLayer(`${layer.type}_${index + 1}`).trainableWeights[0].read() as tf.Variable);
        factors.push(l2);
      }
    });
    this.optimizer = createTfjsOptimizer(optimizer);
    this.exampleSize = input.inputShape.reduce((a, b) => a * b, 1);
    this.batches = new BatchBuffers(train, batchSize, this.exampleSize, objective);
    this.training = {
      optimizer: this.optimizer,
      variables: this.variables,
      l2: { kernels, factors },
      rowTables: [embeddingTable(this.model, spec, input)].filter((table) => table !== undefined),
      logits: (inputs, size) => logitsOf(this.model, this.batchTensor(inputs, size), true),
    };
  }

  private batchTensor(inputs: Float32Array, count: number): tf.Tensor {
    return tf.tensor(inputs.subarray(0, count * this.exampleSize), [count, ...this.inputShape]);
  }

  trainRange(order: Uint32Array, start: number, end: number): Score {
    // Dropout draws its masks from tfjs' default seed, Math.random: seeding it per chunk keeps runs
    // reproducible and resumable.
    return withSeededMathRandom(`${this.seed}:${order[start]}:${start}`, () => trainRangeOnTfjs(this.training, this.batches, order, start, end));
  }

  private readonly logitsOfImages = (pixels: Float32Array, count: number) => logitsOf(this.model, this.batchTensor(pixels, count), false);

  assess(set: ExampleSet): Assessment {
    return { score: evaluateInChunks(set, EVALUATION_CHUNK, this.objective, this.logitsOfImages), predictions: this.predict(set) };
  }

  predict(set: ExampleSet): Float32Array {
    return predictInChunks(set, EVALUATION_CHUNK, this.objective, this.logitsOfImages);
  }

  weights(): ModelWeights {
    return getModelWeights(this.model);
  }

  setWeights(weights: ModelWeights): void {
    setModelWeights(this.model, weights);
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

function withSeededMathRandom<T>(seed: string, work: () => T): T {
  const original = Math.random;
  Math.random = seedrandom.alea(seed);
  try {
    return work();
  } finally {
    Math.random = original;
  }
}
