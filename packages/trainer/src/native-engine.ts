import { availableParallelism } from 'node:os';
import { UserError, type ExampleSet } from '@specml/data';
import { planLayers, tokensAt, type ModelInput, type ModelSpec, type ModelWeights } from '@specml/model-zoo';
import { type NativeAttempt, type NativeInputs, type NativeNetworkHandle, type NativeNetworkOptions, type TrainingProfile } from './backend.js';
import { loadNativeAddon } from './native-addon.js';
import type { OptimizerState } from './checkpoint.js';
import type { Assessment, Score, TrainingEngine } from './engine.js';
import type { OptimizerSpec } from './schema.js';

/**
 * The spec as the native engine reads it: each layer's settings as written (defaults filled), with a
 * flatten before a dense layer that receives an image or a sequence, as the tfjs model has; an embedding
 * is told its vocabulary's size (`tokens`), and pools where a global pooling follows it (pooledByEmbedding); a
 * table's other columns beside a text join its vector before the first dense layer (`join`, the engine's own
 * step, as the tfjs model's concatenate).
 */
export function nativeNetworkOptions(spec: ModelSpec, input: ModelInput, optimizer: OptimizerSpec, seed: number): NativeNetworkOptions {
  const plan = planLayers(spec, input);
  const layers: NativeNetworkOptions['layers'] = [];
  spec.layers.forEach((layer, index) => {
    if (pooledByEmbedding(spec, index)) return;
    const arriving = plan.join?.index === index ? plan.join.textShape : plan.inputShapes[index];
    if (layer.type === 'dense' && (arriving?.length ?? 1) > 1) layers.push({ type: 'flatten', index });
    if (plan.join?.index === index) layers.push({ type: 'join', index, features: input.sideFeatures! });
    const tokens = tokensAt(input, index);
    const pooling = pooledByEmbedding(spec, index + 1) ? { pooling: spec.layers[index + 1].type } : {};
    layers.push({ ...layer, index, ...(tokens === undefined ? {} : { tokens }), ...pooling });
  });
  const [height, width, channels] = input.inputShape;
  const shape = input.inputShape.length === 3 ? { height, width, channels } : { features: height };
  const classes = plan.outputShape.reduce((product, size) => product * size, 1);
  const side = plan.join ? { sideFeatures: input.sideFeatures! } : {};
  return { input: shape, classes, layers, optimizer: { ...optimizer }, seed, threads: nativeThreads(), ...side };
}

/**
 * A global pooling right after an embedding is done by the embedding (`pooling`), which then never writes the
 * sequence out for the pooling to read back: the same results, bit for bit, in a fraction of the time.
 */
function pooledByEmbedding(spec: ModelSpec, index: number): boolean {
  const pooling = spec.layers[index]?.type;
  return index > 0 && spec.layers[index - 1].type === 'embedding' && (pooling === 'globalMaxPooling1d' || pooling === 'globalAveragePooling1d');
}

/** Two threads where there are two cores, unless SPECML_THREADS=1 asks for one (results are the same). */
export function nativeThreads(): number {
  return process.env.SPECML_THREADS === '1' || availableParallelism() < 2 ? 1 : 2;
}

/** Builds the native network for a spec, or says why it cannot (not built, or a layer it cannot train). */
export function buildNativeNetwork(options: NativeNetworkOptions): NativeAttempt {
  const addon = loadNativeAddon();
  if (!addon.ok) return addon;
  try {
    return { ok: true, value: new addon.value.NativeNetwork(options) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** The engine's allocation failure, as the person's to fix: what failed and what to change (the run is then marked failed). */
function withMemoryAdvice<T>(work: () => T, batchSize: number): T {
  try {
    return work();
  } catch (error) {
    if ((error as Error).message !== 'native engine: out of memory') throw error;
    throw new UserError(`the native engine ran out of memory for this model and data (batchSize ${batchSize}): use a smaller batchSize, a smaller data.imageSize, or fewer units and filters`);
  }
}

/** Any model of the zoo, trained by the compiled engine (native/): forward, loss, backward and update in C++. */
export class NativeEngine implements TrainingEngine {
  readonly backend = 'native';
  // Each set's inputs as the engine reads them: a bag of words' rows as their few non-zero inputs, found once
  // per set instead of in every batch of every epoch (the spam e-mails: 12,000 inputs a row, ~100 not zero).
  private readonly inputs = new WeakMap<ExampleSet, NativeInputs>();

  constructor(
    private readonly network: NativeNetworkHandle,
    initial: ModelWeights,
    private readonly train: ExampleSet,
    private readonly batchSize: number,
    /** The augmenter rewrites the training set before every epoch: its inputs are read as they are, each time. */
    private readonly trainSetRewritten = false,
  ) {
    network.setWeights(initial);
  }

  trainRange(order: Uint32Array, start: number, end: number): Score {
    const [lossSum, correct] = withMemoryAdvice(() => this.network.trainBatches(this.inputsOf(this.train), this.train.labels, order, start, end, this.batchSize), this.batchSize);
    return { lossSum, correct };
  }

  assess(set: ExampleSet): Assessment {
    const [lossSum, correct, predictions] = withMemoryAdvice(() => this.network.assess(this.inputsOf(set), set.labels), this.batchSize);
    return { score: { lossSum, correct }, predictions };
  }

  predict(set: ExampleSet): Float32Array {
    return withMemoryAdvice(() => this.network.predict(this.inputsOf(set), set.labels), this.batchSize);
  }

  private inputsOf(set: ExampleSet): NativeInputs {
    if (set === this.train && this.trainSetRewritten) return set.inputs;
    let inputs = this.inputs.get(set);
    if (!inputs) {
      // A set read sparse is taken as it is; its dense rows are made only where the engine cannot read those.
      const sparse = set.sparse ? this.network.sparseRows(set.sparse) : set.inputs instanceof Float32Array ? this.network.sparseRows(set.inputs) : undefined;
      inputs = sparse ?? set.inputs;
      this.inputs.set(set, inputs);
    }
    return inputs;
  }

  weights(reuse?: ModelWeights): ModelWeights {
    return this.network.getWeights(reuse);
  }

  setWeights(weights: ModelWeights): void {
    this.network.setWeights(weights);
  }

  setLearningRate(learningRate: number): void {
    this.network.setLearningRate(learningRate);
  }

  async optimizerState(): Promise<OptimizerState> {
    const { step, tensors } = this.network.getOptimizerState();
    return { step, tensors, scalars: [] };
  }

  async restoreOptimizerState(state: OptimizerState): Promise<void> {
    this.network.setOptimizerState({ step: state.step, tensors: state.tensors });
  }

  trainingProfile(): TrainingProfile {
    return this.network.trainingProfile();
  }

  dispose(): void {
    this.network.dispose();
  }
}
