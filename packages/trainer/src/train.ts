import tf = require('@tensorflow/tfjs-core');
import type * as tfl from '@tensorflow/tfjs-layers';
import { augments, createAugmenter, createRng, inputsAsFloats, isImageDataset, randomPermutation, UserError, type Augmenter, type AugmentSpec, type Dataset, type ExampleSet, type Rng, type Task } from '@specml/data';
import { buildModel, denseStackOf, initialWeights, type ModelInput, type ModelSpec } from '@specml/model-zoo';
import { classificationTraining, regressionTraining, type TaskTraining } from './tasks.js';
import { selectBackend, type BackendSelection, type NativeAttempt, type TrainingProfile } from './backend.js';
import { loadNativeAddon } from './native-addon.js';
import type { Checkpoint } from './checkpoint.js';
import type { EpochMetrics } from './metrics.js';
import type { Score, TrainingEngine } from './engine.js';
import { buildNativeNetwork, NativeEngine, nativeNetworkOptions } from './native-engine.js';
import { learningRateAt, type BackendChoice, type OptimizerSpec, type RegressionLoss, type ScheduleSpec } from './schema.js';
import { LayersEngine } from './layers-engine.js';
import { EarlyStopping, type EarlyStoppingSpec } from './callbacks/early-stopping.js';
import { TfjsEngine } from './tfjs-engine.js';

export interface TrainRequest {
  /** Continue from this checkpoint instead of starting afresh; it must come from the same backend. */
  readonly resume?: Checkpoint;
  readonly dataset: Dataset;
  readonly model: ModelSpec;
  readonly optimizer: OptimizerSpec;
  readonly schedule?: ScheduleSpec;
  readonly backend: BackendChoice;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** classification (the default) or regression, trained on `loss` (default meanSquaredError). */
  readonly task?: Task;
  readonly loss?: RegressionLoss;
  /** Random changes to the training images, new every epoch (image datasets only). */
  readonly augment?: AugmentSpec;
  /** Classification: each class's weight in the training loss (data.classWeights), in class order. */
  readonly classWeights?: readonly number[];
  /** Stop when a validation metric stops improving, and (restoreBest) keep the best epoch's weights. */
  readonly earlyStopping?: Required<EarlyStoppingSpec>;
  /**
   * How often to call onCheckpoint, in seconds of training since the last one (Lightning's
   * train_time_interval): sub-second epochs need not each save one. The last epoch's (or a stopping one's)
   * is always made. Default 0: every epoch, the initial evaluation included.
   */
  readonly checkpointSeconds?: number;
}

export type { EpochMetrics };

export interface TrainCallbacks {
  onBackend?(selection: BackendSelection): void;
  onEpochStart?(epoch: number, samples: number): void;
  onProgress?(epoch: number, samplesDone: number, samples: number): void;
  /**
   * Awaited before the next epoch starts, so that a row is on disk before training goes on. Answering
   * 'stop' ends training after this epoch (early stopping): the result is the model as it is now.
   */
  onEpochEnd?(metrics: EpochMetrics): EpochVerdict | Promise<EpochVerdict>;
  /**
   * Called with the state to resume from after the initial evaluation and the epochs checkpointSeconds asks
   * for; the last epoch's, where one is due then, comes after onTrainingEnd.
   */
  onCheckpoint?(checkpoint: Checkpoint): void | Promise<void>;
  /**
   * Called once the last epoch's row is recorded, with every row: the curves are final, so a caller can
   * start drawing them while the last checkpoint is saved, the kept weights chosen and the test set predicted.
   */
  onTrainingEnd?(metrics: readonly EpochMetrics[]): void;
  /** Stops training between two chunks of batches; train() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type EpochVerdict = void | 'continue' | 'stop';

/** Seconds spent in each part of train(), for profiles. */
export interface TrainTimings {
  backendSeconds: number;
  /** Rewriting the training images for each epoch (data.augment). */
  augmentationSeconds: number;
  trainingSeconds: number;
  evaluationSeconds: number;
  checkpointSeconds: number;
}

export interface TrainResult {
  readonly model: tfl.LayersModel;
  /** The trained model's outputs for every test example, from the engine: class probabilities (count × classes), or a regression's predicted values (count). */
  readonly testPredictions: Float32Array;
  readonly backend: BackendSelection;
  readonly metrics: EpochMetrics[];
  readonly timings: TrainTimings;
  /** Training ended before its last epoch because onEpochEnd said 'stop', or early stopping did. */
  readonly stoppedEarly: boolean;
  /** The epoch whose weights the model holds, where early stopping restored the best one's (else the last epoch's). */
  readonly restoredEpoch?: number;
  /** Where this training's time went, layer by layer, where the engine says (the native engine). */
  readonly profile?: TrainingProfile;
}

/** Training stopped because the loss became NaN or infinite. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
  constructor(readonly epoch: number) {
    super(`the training loss became NaN or infinite in epoch ${epoch}`);
  }
}

/** Samples per call into the engine: small enough for a lively progress bar, large enough to cost nothing. */
const PROGRESS_SAMPLES = 3000;

type Timed = <T>(phase: keyof TrainTimings, work: () => T) => T;

/** Runs work and adds its seconds to one phase of the timings. */
const phaseTimer =
  (timings: TrainTimings): Timed =>
  (phase, work) => {
    const started = performance.now();
    try {
      return work();
    } finally {
      timings[phase] += (performance.now() - started) / 1000;
    }
  };

export async function train(request: TrainRequest, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const timings: TrainTimings = { backendSeconds: 0, augmentationSeconds: 0, trainingSeconds: 0, evaluationSeconds: 0, checkpointSeconds: 0 };
  const timed = phaseTimer(timings);
  const session = await startTraining(request, callbacks, timings);
  const { engine, task, augmenter, rng } = session;
  try {
    const recorder = epochRecorder(request, callbacks, session, timings);
    const validationMetrics = () => (task.validation ? timed('evaluationSeconds', () => task.evaluate(engine, 'validation').columns) : {});
    // The test set's predictions by the weights as they are now, from its last evaluation: the final ones, unless
    // the weights changed since (training, restoreBest), so that the last epoch's pass is not made twice.
    let testPredictionsNow: Float32Array | undefined;
    const testMetrics = () =>
      timed('evaluationSeconds', () => {
        const { columns, predictions } = task.evaluate(engine, 'test');
        testPredictionsNow = predictions;
        return columns;
      }) as Pick<EpochMetrics, 'test_loss'> & Partial<EpochMetrics>;
    if (request.resume) await engine.restoreOptimizerState(request.resume.optimizer);
    else await recorder.record({ epoch: 0, ...testMetrics(), ...validationMetrics() });

    const samples = request.dataset.train.count;
    const identity = Uint32Array.from({ length: samples }, (_, i) => i);
    let stoppedEarly = false;
    for (let epoch = (request.resume?.epoch ?? 0) + 1; epoch <= request.epochs && !stoppedEarly; epoch++) {
      const order = request.shuffle ? randomPermutation(samples, rng) : identity;
      if (request.schedule) engine.setLearningRate(learningRateAt(request.schedule, request.optimizer.learningRate, epoch, request.epochs, recorder.metrics));
      if (augmenter) {
        const waited = performance.now();
        await augmenter.prepare(epoch, request.epochs);
        timings.augmentationSeconds += (performance.now() - waited) / 1000;
      }
      callbacks.onEpochStart?.(epoch, samples);
      const started = performance.now();
      const total = await trainEpoch(engine, order, epoch, request.batchSize, callbacks, timed);
      testPredictionsNow = undefined;
      const seconds = (performance.now() - started) / 1000;
      const verdict = await recorder.record({
        epoch,
        ...task.trainColumns(total, samples),
        ...testMetrics(),
        epoch_seconds: seconds,
        samples_per_second: samples / seconds,
        ...validationMetrics(),
      });
      stoppedEarly = verdict === 'stop' && epoch < request.epochs;
    }
    callbacks.onTrainingEnd?.(recorder.metrics);
    await recorder.saveLastCheckpoint();
    // restoreBest: the model is the best epoch's, and so are the test predictions written beside it.
    const best = recorder.best();
    if (best) {
      engine.setWeights(best.weights);
      testPredictionsNow = undefined;
    }
    // The engine now holds the best epoch's weights where there is one: those arrays, not another copy.
    const model = buildModel(request.model, request.dataset, task.savedWeights(best?.weights ?? engine.weights()));
    const testPredictions = testPredictionsNow ?? timed('evaluationSeconds', () => task.testPredictions(engine));
    const profile = engine.trainingProfile?.();
    return { model, testPredictions, backend: session.backend, metrics: recorder.metrics, timings, stoppedEarly, ...(best ? { restoredEpoch: best.epoch } : {}), ...(profile ? { profile } : {}) };
  } finally {
    engine.dispose();
  }
}

/** What one training needs from its start to its end: where it runs, its task, its random stream and engine. */
interface TrainingSession {
  readonly backend: BackendSelection;
  readonly task: TaskTraining;
  readonly rng: Rng;
  readonly engine: TrainingEngine;
  readonly augmenter?: Augmenter;
}

/** Chooses the backend, checks a checkpoint against it, and builds the engine from the initial or resumed weights. */
async function startTraining(request: TrainRequest, callbacks: TrainCallbacks, timings: TrainTimings): Promise<TrainingSession> {
  const { dataset, batchSize } = request;
  const input: ModelInput = dataset;
  const stack = denseStackOf(request.model, input);
  const backendStarted = performance.now();
  let native: NativeAttempt | undefined;
  const regression = request.task === 'regression';
  const loss: RegressionLoss = request.loss ?? 'meanSquaredError';
  const backend = await selectBackend(request.backend, () => (native = buildNativeNetwork({ ...nativeNetworkOptions(request.model, input, request.optimizer, request.seed), ...(regression ? { loss } : {}), ...(request.classWeights ? { classWeights: [...request.classWeights] } : {}) })));
  timings.backendSeconds = (performance.now() - backendStarted) / 1000;
  callbacks.onBackend?.(backend);

  const task = regression ? regressionTraining(dataset, loss) : classificationTraining(dataset, request.classWeights);
  const { resume } = request;
  if (resume && resume.backend !== backend.name) {
    throw new UserError(`backend: the checkpoint was written by the ${resume.backend} backend, this run would use ${backend.name} (resume with --backend ${resume.backend})`);
  }
  // One seeded stream: initial weights first, then one permutation per epoch, whatever the backend.
  const rng = createRng(request.seed, resume?.rngState);
  const initial = resume?.weights ?? initialWeights(request.model, input, rng);
  // Engines read the training set as it is at each step: an augmenter rewrites its copy before every epoch.
  const addon = loadNativeAddon();
  // The native transform where the engine is built (the next epoch's images made while one trains), else TypeScript's.
  const transforms = addon.ok ? ([addon.value.transformImages, addon.value.transformImagesInBackground] as const) : ([] as const);
  const augmenter = augments(request.augment) && isImageDataset(dataset) ? createAugmenter(task.train, dataset.inputShape, request.augment, request.seed, ...transforms) : undefined;
  const trainSet = augmenter?.set ?? task.train;
  // The native engine where it is built, else the hand-written tfjs loop for dense stacks, tfjs-layers for the rest.
  const engine: TrainingEngine =
    backend.name === 'native' && native?.ok
      ? new NativeEngine(native.value, initial, trainSet, batchSize, augmenter !== undefined)
      : stack
        ? new TfjsEngine(backend.name, stack, initial, request.optimizer, trainSet, batchSize, task.objective)
        : new LayersEngine(backend.name, request.model, input, initial, request.optimizer, trainSet, batchSize, request.seed, task.objective);
  return { backend, task, rng, engine, ...(augmenter ? { augmenter } : {}) };
}

/**
 * Keeps the epochs' rows, and after each: asks early stopping and the caller whether to go on, keeps the best
 * weights (restoreBest), and hands a checkpoint to onCheckpoint when one is due (the last one by saveLastCheckpoint).
 */
function epochRecorder(request: TrainRequest, callbacks: TrainCallbacks, { backend, rng, engine }: TrainingSession, timings: TrainTimings) {
  const metrics: EpochMetrics[] = [...(request.resume?.metrics ?? [])];
  // Early stopping decides from the rows alone: a resumed run replays its own to the same state.
  const stopping = request.earlyStopping ? new EarlyStopping(request.earlyStopping) : undefined;
  metrics.forEach((row) => stopping?.observe(row));
  let best = request.resume?.best;
  // The best epoch's arrays are overwritten by the next best's (no new memory each time an epoch improves),
  // unless a checkpoint, which its receiver may keep, or the resumed state holds them.
  let bestArraysOwned = false;
  let lastCheckpoint = performance.now();
  // The last epoch's checkpoint waits until onTrainingEnd has been told (nothing changes the state between).
  let lastOneDue = false;
  const checkpointDue = () => (performance.now() - lastCheckpoint) / 1000 >= (request.checkpointSeconds ?? 0);
  const saveCheckpoint = async (epoch: number) => {
    const checkpointStarted = performance.now();
    const checkpoint: Checkpoint = {
      epoch,
      backend: backend.name,
      rngState: rng.state(),
      metrics: [...metrics],
      weights: engine.weights(),
      optimizer: await engine.optimizerState(),
      ...(best ? { best } : {}),
    };
    bestArraysOwned = false;
    await callbacks.onCheckpoint!(checkpoint);
    lastCheckpoint = performance.now();
    timings.checkpointSeconds += (lastCheckpoint - checkpointStarted) / 1000;
  };
  const record = async (row: EpochMetrics): Promise<EpochVerdict> => {
    metrics.push(row);
    const decision = stopping?.observe(row);
    if (decision?.improved && request.earlyStopping?.restoreBest) {
      best = { epoch: row.epoch, weights: engine.weights(bestArraysOwned ? best?.weights : undefined) };
      bestArraysOwned = true;
    }
    const asked = await callbacks.onEpochEnd?.(row);
    const verdict: EpochVerdict = decision?.stop ? 'stop' : asked;
    lastOneDue = row.epoch >= request.epochs || verdict === 'stop';
    if (callbacks.onCheckpoint && !lastOneDue && checkpointDue()) await saveCheckpoint(row.epoch);
    return verdict;
  };
  // The last epoch saves one too only when one is due: a run killed between its training and its outputs
  // redoes less than checkpointSeconds, as everywhere else, and a short run does not copy its state once more.
  const saveLastCheckpoint = async () => {
    if (callbacks.onCheckpoint && lastOneDue && checkpointDue()) await saveCheckpoint(metrics.at(-1)!.epoch);
  };
  return { metrics, record, saveLastCheckpoint, best: () => best };
}

/** One epoch over the training examples in `order`, in chunks between which progress is told and a stop heard. */
async function trainEpoch(engine: TrainingEngine, order: Uint32Array, epoch: number, batchSize: number, callbacks: TrainCallbacks, timed: Timed): Promise<Score> {
  const samples = order.length;
  const chunk = Math.max(1, Math.round(PROGRESS_SAMPLES / batchSize)) * batchSize;
  const total: Score = { lossSum: 0, correct: 0 };
  for (let start = 0; start < samples; start += chunk) {
    const end = Math.min(samples, start + chunk);
    const score = timed('trainingSeconds', () => engine.trainRange(order, start, end));
    total.lossSum += score.lossSum;
    total.correct += score.correct;
    if (!Number.isFinite(score.lossSum)) throw new TrainingDivergedError(epoch);
    callbacks.onProgress?.(epoch, end, samples);
    // Let timers (the progress bar) and signal handlers run; costs microseconds per chunk.
    await new Promise(setImmediate);
    callbacks.signal?.throwIfAborted();
  }
  return total;
}

/** Class probabilities of the first `count` examples of a set, from the saved model's own forward pass. */
export function predictExamples(model: tfl.LayersModel, set: ExampleSet, inputShape: readonly number[], count: number) {
  return tf.tidy(() => {
    const x = tf.tensor(inputsAsFloats(set, 0, count), [count, ...inputShape], 'float32');
    const probabilities = model.predict(x) as tf.Tensor2D;
    return {
      probabilities: probabilities.dataSync() as Float32Array,
      predicted: Array.from(tf.argMax(probabilities, 1).dataSync()),
    };
  });
}
