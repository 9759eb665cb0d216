import { createRequire } from 'node:module';
import tf = require('@tensorflow/tfjs-core');
import { UserError } from '@specml/data';
import type { BackendChoice } from './schema.js';
import { registerSegmentSum, registerWasmConvGradient } from './tfjs-kernels.js';

export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'native' | TfjsBackendName;

/** What trains the model, and which tfjs backend holds the model for saving and prediction. */
export interface BackendSelection {
  readonly name: BackendName;
  readonly tfjsBackend: TfjsBackendName;
  /** Why `auto` did not pick the native engine, when it did not. */
  readonly nativeRefusal?: string;
}

export type Loaded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The native engine built for one spec, or why it cannot train it. */
export type NativeAttempt = Loaded<NativeNetworkHandle>;

/** The spec as the native engine reads it (see native/addon.cc). */
export interface NativeNetworkOptions {
  /** An image's shape, or a vector's length (a table's encoded row). */
  input: { height: number; width: number; channels: number } | { features: number };
  classes: number;
  /** Each layer's spec settings, with `index` its position in the spec (for messages). */
  layers: Array<Record<string, unknown> & { type: string; index: number }>;
  optimizer: Record<string, unknown> & { name: string };
  seed: number;
  /** 1 or 2: the batch is always worked on in two fixed halves, so this changes the speed, never the results. */
  threads: number;
  /** A text's token ids followed by a table's other columns: how many values follow the ids in each row (a `join` layer takes them). */
  sideFeatures?: number;
  /** A regression loss's name (then one output, Float32Array targets); absent: softmax cross-entropy over the classes. */
  loss?: string;
  /** Classification: one weight per class for the training gradient (data.classWeights); absent: all 1. */
  classWeights?: number[];
}

/** The native engine's training seconds per layer since it was built (see native/network.h), and the samples they are over. */
export interface TrainingProfile {
  readonly layers: ReadonlyArray<{
    readonly kind: string;
    /** The spec layer it is (a flatten the engine adds: the dense layer it comes before). */
    readonly index: number;
    readonly forwardSeconds: number;
    readonly backwardSeconds: number;
    /** Whether its backward computed its input's gradient (no layer below the first with weights needs one). */
    readonly inputGradient: boolean;
  }>;
  /** The parameter updates. */
  readonly optimizerSeconds: number;
  readonly samples: number;
}

/** A set's rows as their non-zero inputs: row r's are index/values[rowStart[r], rowStart[r + 1]), in increasing index. */
export interface NativeSparseRows {
  readonly rowStart: Uint32Array;
  readonly index: Uint32Array;
  readonly values: Float32Array;
}

/** Inputs are pixel bytes (scaled by 1/255), a table's encoded floats, one example after another, or such floats' sparseRows. */
export type NativeInputs = Uint8Array | Float32Array | NativeSparseRows;

/** The native class compiled from native/*.cc. */
export interface NativeNetworkHandle {
  setWeights(weights: Float32Array[]): void;
  /** The weights, layer by layer; written into `reuse` (a kept copy of the same shapes) and returned when given. */
  getWeights(reuse?: Float32Array[]): Float32Array[];
  /** Labels: class indices, or (regression) the standardised targets. */
  trainBatches(inputs: NativeInputs, labels: Uint8Array | Float32Array, order: Uint32Array, start: number, end: number, batchSize: number): [number, number];
  evaluate(inputs: NativeInputs, labels: Uint8Array | Float32Array): [number, number];
  predict(inputs: NativeInputs, labels: Uint8Array | Float32Array): Float32Array;
  /** evaluate and predict in one pass over the examples: [lossSum, correct, predictions]. */
  assess(inputs: NativeInputs, labels: Uint8Array | Float32Array): [number, number, Float32Array];
  /** The gradient of the mean loss over the examples as one training batch, without a step (for checks against tfjs). */
  gradients(inputs: NativeInputs, labels: Uint8Array | Float32Array): { lossSum: number; gradients: Float32Array[] };
  /**
   * The floats' non-zero inputs, which every pass takes in their place with the same results, bit for bit, where
   * the first layer reads them (a dense layer of 256 inputs or more) and fewer than 1 in 20 are not zero (a
   * bag of words); otherwise undefined. Rows that are sparse already (a set read so) are checked and given
   * back on the same terms, and also where the first layer reads dense inputs (token ids, a text beside other
   * columns): each batch's rows are then written out whole, and the set's dense rows are never made.
   */
  sparseRows(inputs: Float32Array | NativeSparseRows): NativeSparseRows | undefined;
  setLearningRate(learningRate: number): void;
  getOptimizerState(): { step: number; tensors: { name: string; values: Float32Array }[] };
  setOptimizerState(state: { step: number; tensors: { name: string; values: Float32Array }[] }): void;
  /** Where training time went since it was built, layer by layer. */
  trainingProfile(): TrainingProfile;
  /** Frees its buffers and thread at once; the handle is unusable after. */
  dispose(): void;
}


// The backends are CommonJS bundles: required, not imported, because import() has Node scan a CommonJS file
// for its export names first (cjs-module-lexer: some 50 ms over tfjs-backend-cpu's 475 kB, on every run that
// builds its saved model with it).
const requireBackend = createRequire(import.meta.url);

const tfjsBackendLoaders: Record<TfjsBackendName, () => Promise<unknown>> = {
  tensorflow: async () => {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // silence TensorFlow's C++ start-up chatter
    return requireBackend('@tensorflow/tfjs-node');
  },
  wasm: async () => {
    requireBackend('@tensorflow/tfjs-backend-wasm');
    registerWasmConvGradient();
    registerSegmentSum('wasm');
  },
  cpu: async () => {
    requireBackend('@tensorflow/tfjs-backend-cpu');
    registerSegmentSum('cpu');
  },
};

const tfjsLoadFailures = new Map<TfjsBackendName, string>();

/** Imports and activates a tfjs backend; returns why not when it cannot. */
export async function activateTfjsBackend(name: TfjsBackendName): Promise<Loaded<TfjsBackendName>> {
  // Production mode silences the cpu backend's "install tfjs-node" banner (it goes through tfjs' warn).
  tf.enableProdMode();
  if (tf.getBackend() === name) return { ok: true, value: name };
  const failure = tfjsLoadFailures.get(name);
  if (failure) return { ok: false, reason: failure };
  try {
    await tfjsBackendLoaders[name]();
    if (await tf.setBackend(name)) return { ok: true, value: name };
    throw new Error('tf.setBackend returned false');
  } catch (error) {
    const reason =
      name === 'tensorflow'
        ? `@tensorflow/tfjs-node is not installed or does not load here (${firstLine(error)}); it is an optional dependency that npm skips where its native TensorFlow library cannot be downloaded`
        : `@tensorflow/tfjs-backend-${name} does not load (${firstLine(error)})`;
    tfjsLoadFailures.set(name, reason);
    return { ok: false, reason };
  }
}

const TFJS_ORDER: readonly TfjsBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Picks the backend for a run. `auto` prefers the native engine for every spec it can train, then
 * tfjs-node, wasm, cpu. `fused` (the name of the first native kernel) means `native`. An explicit choice
 * that cannot be honoured is a UserError saying why.
 */
export async function selectBackend(choice: BackendChoice, native: () => NativeAttempt): Promise<BackendSelection> {
  // Production mode silences the cpu backend's "install tfjs-node" banner (it goes through tfjs' warn).
  tf.enableProdMode();
  const wanted = choice === 'fused' ? 'native' : choice;
  let nativeRefusal: string | undefined;
  if (wanted === 'native' || wanted === 'auto') {
    const attempt = native();
    if (attempt.ok) {
      // The tfjs side only holds the final model for saving and prediction; the cpu backend loads fastest.
      const companion = await activateTfjsBackend('cpu');
      if (!companion.ok) throw new Error(companion.reason);
      return { name: 'native', tfjsBackend: 'cpu' };
    }
    if (wanted === 'native') throw new UserError(`backend: ${choice} cannot train this spec: ${attempt.reason} (use backend: auto)`);
    nativeRefusal = attempt.reason;
  }
  if (wanted !== 'auto') {
    const loaded = await activateTfjsBackend(wanted);
    if (!loaded.ok) throw new UserError(`backend: ${choice} is not available: ${loaded.reason} (use backend: auto)`);
    return { name: wanted, tfjsBackend: wanted };
  }
  const reasons: string[] = [];
  for (const name of TFJS_ORDER) {
    const loaded = await activateTfjsBackend(name);
    if (loaded.ok) return { name, tfjsBackend: name, nativeRefusal };
    reasons.push(loaded.reason);
  }
  throw new Error(`no tfjs backend loads: ${reasons.join('; ')}`);
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}
