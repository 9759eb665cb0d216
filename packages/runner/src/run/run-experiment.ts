import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { bestSummary, finalMetrics, isImageDataset, loadDataset, metricsColumnsOf, classWeightsOf, perClassScores, predictedClasses, printable, readShippedDataset, readsUserFiles, trivialBaseline, UserError, type Dataset, type WholeDataset } from '@specml/data';
import {
  appendMetricsRow,
  confusionCsv,
  perClassCsv,
  confusionMatrix,
  createMetricsCsv,
  isFinishedStatus,
  mostConfidentMistakes,
  predictionsCsv,
  regressionPredictionsCsv,
  renderPredictedVersusTrue,
  renderResiduals,
  readRun,
  RUN_FILES,
  writeRunSummary,
  removeStaleTemporaryFiles,
  renderConfusion,
  renderCurves,
  prepareRunPictures,
  drawRunsIndexChartAhead,
  type CurvesScore,
  renderPredictionGrid,
  renderRunReport,
  rewriteMetricsCsv,
  syncMetricsCsv,
  summaryIfReadable,
  writeFileAtomic,
  writeRunsIndex,
  runsIndexState,
  type RunStatus,
  type RunSummary,
} from '@specml/reporter';
import {
  decodeCheckpoint,
  checkpointParts,
  saveModel,
  train,
  TrainingDivergedError,
  type BackendSelection,
  type Checkpoint,
  type EpochMetrics,
  type EpochVerdict,
  type EarlyStoppingSpec,
  type TrainTimings,
} from '@specml/trainer';
import { formatModelSummary, modelSummary } from '@specml/model-zoo';
import { loadSpec, loadSpecText, type LoadedSpec } from '../spec/load-spec.js';
import { createProgress, readingProgress } from './progress.js';
import { RunFolderError } from './run-folder-error.js';
import { createRunFolder } from './run-folder.js';
import { layerTimingsOf } from './layer-timings.js';
import { lockRunFolder, type RunLock } from './run-lock.js';
import { checkBatchSize, checkSpec, checkSpecAgainstData } from '../spec/semantic-checks.js';
import type { ExperimentSpec } from '../spec/spec-schema.js';

export interface ExperimentOptions {
  /** The spec file, or with `specText` the name that text came from (messages, summary.json). */
  readonly specFile: string;
  readonly specText?: string;
  readonly overrides?: readonly string[];
  readonly runsDir?: string;
  readonly signal?: AbortSignal;
  /** Called once the run folder exists, and after every epoch's row is on disk. */
  readonly events?: RunEvents;
  /** Whether the run rebuilds the runs dir's index.html (a sweep's trials leave that to the sweep). */
  readonly updateIndex?: boolean;
  /** The run folder's name, where it is fixed (a sweep's trial); by default a new time-sorted id. */
  readonly runId?: string;
  /** Train on this dataset shipped by a queue's coordinator (kept by its hash) instead of reading the data files. */
  readonly datasetHash?: string;
  /** A queue worker's trial: refuse any spec whose data would be read from this machine's disk. */
  readonly onlyShippedData?: boolean;
  /** A sweep's refit (its summary.json says so). */
  readonly refit?: boolean;
}

/** Where a spec's text and data come from, beside its file name. */
export type DataSource = Pick<ExperimentOptions, 'specText' | 'datasetHash' | 'onlyShippedData'>;

export interface RunEvents {
  onRunFolder?(dir: string): void;
  /** After every epoch's row is on disk; answering 'stop' ends the run there, as `stopped`. */
  onEpoch?(row: EpochMetrics): EpochVerdict | Promise<EpochVerdict>;
  /** After the checkpoint of an epoch (and the summary) is on disk: the folder can be resumed from here. */
  onCheckpoint?(epoch: number): void | Promise<void>;
}

export type { RunStatus, RunSummary };

/** Where the latest session's wall time went, in seconds: a profile of the run. */
export interface RunTimings {
  /** From process start to here: Node's start-up and importing the code (tfjs included). */
  startupSeconds: number;
  /** Reading and validating the spec, loading the dataset. */
  dataSeconds: number;
  backendSeconds: number;
  /** Rewriting the training images every epoch (data.augment). */
  augmentationSeconds: number;
  trainingSeconds: number;
  evaluationSeconds: number;
  checkpointSeconds: number;
  /** Saving the model, the pictures and the summary. */
  outputSeconds: number;
}

export interface RunOutcome {
  readonly dir: string;
  readonly summary: RunSummary;
}

/** How many test digits predictions.png shows. */
const PREDICTION_COUNT = 24;
/** The run folder's file names, as the reporter (which reads them back) names them. */

/**
 * Validates a spec and its data before touching the runs dir, so a bad spec or dataset writes nothing.
 * Returns what training needs.
 */
export async function prepareExperiment(specFile: string, overrides: readonly string[] = [], { specText, datasetHash, onlyShippedData }: DataSource = {}): Promise<{ loaded: LoadedSpec; dataset: Dataset }> {
  const loaded = specText === undefined ? loadSpec(specFile, overrides) : loadSpecText(specText, specFile, overrides);
  checkSpec(loaded);
  const { data } = loaded.spec;
  // A queue worker trains on what its coordinator shipped: a spec that would make it read a file of its own
  // disk (a rogue job, a checkpoint's spec.yaml) is refused without reading it, and the refusal quotes nothing.
  if (onlyShippedData && datasetHash === undefined && readsUserFiles(data)) {
    throw new UserError(`data.path: a queue worker reads no file of its own disk for a job; dataset ${data.dataset} must come shipped by the sweep's coordinator (start the sweep with specml exp --queue…)`);
  }
  const dataset = await loadDatasetOnce(data, loaded.spec.task, datasetHash, (count) => checkBatchSize(loaded, count, 'images'));
  checkSpecAgainstData(loaded, dataset);
  return { loaded, dataset };
}

/** Node's start-up and imports, counted for the first run of a process only (a sweep's worker runs many). */
let processStartCounted = false;
function startupSeconds(runStarted: number): number {
  if (processStartCounted) return 0;
  processStartCounted = true;
  return runStarted / 1000;
}

/** Datasets by their data: block: a sweep's processes load each once, however many trials use it. */
const datasets = new Map<string, Promise<Dataset>>();

function loadDatasetOnce(data: ExperimentSpec['data'], task: ExperimentSpec['task'], shippedHash?: string, onListed?: (count: number) => void): Promise<Dataset> {
  const key = JSON.stringify([data, task, shippedHash]);
  let dataset = datasets.get(key);
  if (!dataset) {
    if (datasets.size >= 2) datasets.clear(); // a sweep over data settings should not pile them up
    dataset = loadDataset(data, { task, onListed, onReading: readingProgress(), whole: shippedHash === undefined ? undefined : shippedDataset(shippedHash) });
    // A load that failed is tried again next time (the files may have been fixed).
    dataset.catch(() => datasets.delete(key));
    datasets.set(key, dataset);
  }
  return dataset;
}

function shippedDataset(hash: string): WholeDataset {
  const whole = readShippedDataset(hash);
  // The worker fetched and checked it before it started the trial: missing now means the cache was cleared under it.
  if (!whole) throw new Error(`the shipped dataset ${hash.slice(0, 12)}… is not on this machine (was its cache cleared?)`);
  return whole;
}

/** Runs one experiment end to end and leaves its run folder; throws UserError for bad input. */
export async function runExperiment(options: ExperimentOptions): Promise<RunOutcome> {
  const started = performance.now();
  const { loaded, dataset } = await prepareExperiment(options.specFile, options.overrides, options);
  const dataSeconds = (performance.now() - started) / 1000;
  const { spec } = loaded;
  // A run is one trial: its resolved spec holds the values it ran with, not the sweep it came from.
  delete spec.sweep;
  // Checked before the folder exists: a class name that is not a class writes nothing.
  const classWeights = classWeightsSummary(spec, dataset);
  const { dir, runId, lock } = createRunFolder(options.runsDir ?? 'runs', spec.name!, options.runId);
  const model = modelSummary(spec.model, dataset);
  const summary: RunSummary = {
    name: spec.name!,
    runId,
    status: 'running',
    epochs: spec.epochs,
    epochsCompleted: 0,
    backend: null,
    tfjsBackend: null,
    seed: spec.seed,
    task: spec.task,
    classNames: [...dataset.classNames],
    specFile: options.specFile,
    startedAt: new Date().toISOString(),
    durationSeconds: 0,
    resumes: 0,
    peakRssMiB: 0,
    final: null,
    best: null,
    parameters: model.total,
    baseline: trivialBaseline(dataset),
    ...classWeights,
    ...(options.refit ? { refit: true } : {}),
  };
  writeFileAtomic(join(dir, RUN_FILES.spec), resolvedSpecYaml(spec, options));
  if (dataset.table) writeFileAtomic(join(dir, RUN_FILES.table), `${JSON.stringify(dataset.table, null, 2)}\n`);
  createMetricsCsv(join(dir, RUN_FILES.metrics), metricsColumnsOf(spec.task, dataset.validation !== undefined));
  const predicts = dataset.target
    ? `predicting ${printable(dataset.target.name)} (mean ${dataset.target.mean.toPrecision(4)}, standard deviation ${dataset.target.std.toPrecision(4)})`
    : `${dataset.table ? `predicting ${printable(dataset.table.target)}: ` : ''}${describeClasses(dataset.classNames)}`;
  process.stdout.write(`run ${spec.name}/${runId}: ${dataset.name}, ${dataset.train.count} training and ${dataset.test.count} test ${isImageDataset(dataset) ? 'images' : 'rows'}, ${predicts}\n${formatModelSummary(model)}`);
  // A text column's vocabulary and its coverage of the test rows say whether the model can read them.
  for (const note of dataset.notes.filter((line) => dataset.table?.features.some((column) => column.type === 'text' && line.startsWith(`column ${column.name}: text`)))) process.stdout.write(`${printable(note)}\n`);
  if (summary.classWeights) process.stdout.write(`class weights in the training loss: ${Object.entries(summary.classWeights).map(([name, weight]) => `${printable(name)} ${Number(weight.toPrecision(4))}`).join(', ')}\n`);
  options.events?.onRunFolder?.(dir);
  return trainInFolder({ dir, spec, dataset, summary, started, dataSeconds, signal: options.signal, lock, events: options.events, updateIndex: options.updateIndex ?? true });
}

/**
 * Continues an interrupted run in its own folder from its last checkpoint: the same spec (its spec.yaml),
 * the same backend, and in the end the same metrics as a run that was never interrupted.
 */
export async function resumeExperiment(runDir: string, options: Pick<ExperimentOptions, 'signal' | 'events' | 'updateIndex' | 'datasetHash' | 'onlyShippedData'> = {}): Promise<RunOutcome> {
  const started = performance.now();
  const summaryPath = join(runDir, RUN_FILES.summary);
  if (!existsSync(summaryPath)) throw new UserError(`--resume ${runDir}: not a run folder (it has no ${RUN_FILES.summary})`);
  // One writer: a second resume of a live run stops here, before reading what the first is writing.
  const lock = lockRunFolder(runDir);
  try {
    return await resumeLocked(runDir, lock, started, options);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function resumeLocked(runDir: string, lock: RunLock, started: number, { signal, events, updateIndex, datasetHash, onlyShippedData }: Pick<ExperimentOptions, 'signal' | 'events' | 'updateIndex' | 'datasetHash' | 'onlyShippedData'>): Promise<RunOutcome> {
  const summary = summaryIfReadable(runDir);
  if (!summary) throw new UserError(`--resume ${runDir}: its ${RUN_FILES.summary} is unreadable (not a run folder, or one whose writer died mid-write); start the run again`);
  removeStaleTemporaryFiles(runDir);
  if (isFinishedStatus(summary.status)) {
    throw new UserError(`--resume ${runDir}: this run already ${summary.status === 'stopped' ? 'ended (stopped early by its sweep)' : 'completed'}; start a new one with exp ${summary.specFile}`);
  }
  const checkpointPath = join(runDir, RUN_FILES.checkpoint);
  if (!existsSync(checkpointPath)) {
    throw new UserError(`--resume ${runDir}: no ${RUN_FILES.checkpoint}: the run stopped before its first checkpoint (one is saved every ${checkpointSeconds()} s of training; start it again with exp ${summary.specFile})`);
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = decodeCheckpoint(readFileSync(checkpointPath), checkpointPath);
  } catch (error) {
    throw new UserError(`${(error as Error).message} (start the run again with exp ${summary.specFile})`);
  }
  const { loaded, dataset } = await prepareExperiment(join(runDir, RUN_FILES.spec), [], { datasetHash, onlyShippedData });
  const dataSeconds = (performance.now() - started) / 1000;
  // The checkpoint's rows replace metrics.csv: a row written after the checkpoint, or torn by the kill, goes.
  rewriteMetricsCsv(join(runDir, RUN_FILES.metrics), checkpoint.metrics, metricsColumnsOf(loaded.spec.task, dataset.validation !== undefined));
  summary.resumes += 1;
  process.stdout.write(`resuming ${summary.name}/${summary.runId} after epoch ${checkpoint.epoch} of ${loaded.spec.epochs}\n`);
  events?.onRunFolder?.(runDir);
  return trainInFolder({ dir: runDir, spec: loaded.spec, dataset, summary, started, dataSeconds, signal, checkpoint, lock, events, updateIndex: updateIndex ?? true });
}

/** Whether a run folder holds an unfinished run that resumeExperiment can continue (it has a checkpoint). */
export function canResume(runDir: string): boolean {
  const summary = summaryIfReadable(runDir);
  return summary !== null && !isFinishedStatus(summary.status) && existsSync(join(runDir, RUN_FILES.checkpoint));
}

interface FolderRun {
  dir: string;
  spec: ExperimentSpec;
  dataset: Dataset;
  summary: RunSummary;
  /** performance.now() when this session's work began; everything before it counts as start-up. */
  started: number;
  dataSeconds: number;
  signal?: AbortSignal;
  checkpoint?: Checkpoint;
  /** This process's hold on the folder, released when the run ends, however it ends. */
  lock: RunLock;
  events?: RunEvents;
  updateIndex: boolean;
}

async function trainInFolder(run: FolderRun): Promise<RunOutcome> {
  try {
    return await trainLocked(run);
  } finally {
    run.lock.release();
  }
}

async function trainLocked({ dir, spec, dataset, summary, started, dataSeconds, signal, checkpoint, events, updateIndex }: FolderRun): Promise<RunOutcome> {
  const metrics: EpochMetrics[] = [...(checkpoint?.metrics ?? [])];
  const book = runBookkeeping(dir, summary, spec, metrics, started);
  book.write('running');
  const progress = createProgress(spec.epochs);
  // The pictures are compiled while the run trains, the curves drawn from when the last epoch is recorded.
  prepareRunPictures(curvesTitle(spec, dataset), curvesScore(dataset), dataset.target ? undefined : { classNames: dataset.classNames, title: confusionTitle(spec, dataset) });
  const drawCurves = () => renderCurves(metrics, curvesTitle(spec, dataset), curvesScore(dataset));
  let curvesPicture: Promise<Buffer> | undefined;
  try {
    const result = await train(trainingConfig(spec, dataset, summary, checkpoint), {
      onBackend: (selection: BackendSelection) => {
        summary.backend = selection.name;
        summary.tfjsBackend = selection.tfjsBackend;
        progress.backend(selection);
      },
      onEpochStart: (epoch, samples) => progress.epochStart(epoch, samples),
      onProgress: (_, done) => progress.samplesDone(done),
      onEpochEnd: (row) => {
        metrics.push(row);
        appendMetricsRow(join(dir, RUN_FILES.metrics), row, metricsColumnsOf(spec.task, dataset.validation !== undefined));
        progress.epochEnd(row);
        return events?.onEpoch?.(row);
      },
      onCheckpoint: async (state) => {
        writeFileAtomic(join(dir, RUN_FILES.checkpoint), checkpointParts(state));
        book.write('running');
        await events?.onCheckpoint?.(state.epoch);
      },
      onTrainingEnd: () => {
        curvesPicture = drawCurves();
        // Awaited by writePictures; a run that fails before then must not also report it unhandled.
        curvesPicture.catch(() => undefined);
      },
      signal,
    });
    const outputStarted = performance.now();
    syncMetricsCsv(join(dir, RUN_FILES.metrics));
    // The chart thread draws the pictures, then the runs index's chart, while this thread saves the model.
    const outputs = Promise.all([writePictures(dir, result.testPredictions, dataset, spec, curvesPicture ?? drawCurves()), saveModel(result.model, join(dir, RUN_FILES.model))]);
    if (updateIndex && inRunsLayout(dir, summary)) drawRunsIndexChartAhead(runsDirOf(dir));
    await outputs;
    result.model.dispose();
    summary.timings = { ...runTimings(result.timings, started, dataSeconds, outputStarted) };
    if (result.profile) summary.layerTimings = layerTimingsOf(result.profile, spec.model, dataset);
    book.keep(result.restoredEpoch);
    if (spec.earlyStopping) {
      summary.stoppedEpoch = result.stoppedEarly ? metrics.at(-1)!.epoch : null;
      summary.restoredEpoch = result.restoredEpoch ?? null;
    }
    book.write(result.stoppedEarly ? 'stopped' : 'completed');
    // Only an unfinished run can be resumed; the finished one keeps its weights in model/.
    rmSync(join(dir, RUN_FILES.checkpoint), { force: true });
  } catch (error) {
    progress.stop();
    try {
      if (error instanceof TrainingDivergedError) book.write('diverged', error.message);
      else if (signal?.aborted && error === signal.reason) book.write('interrupted');
      else book.write('failed', String((error as Error)?.stack ?? error));
      await refreshPages(dir, summary, updateIndex);
    } catch {
      // The folder cannot take the summary either (a full disk, a removed folder): the first error is the one to tell.
    }
    throw new RunFolderError(dir, error);
  }
  // The outcome is on disk; the pages are housekeeping and can no longer change it.
  await refreshPages(dir, summary, updateIndex);
  return { dir, summary };
}

/**
 * A run's summary.json as training goes: `write(status)` records the status, the time (on top of a resumed
 * run's earlier time), peak memory, the epochs done, the final and best rows; `keep(epoch)` says which
 * epoch's weights the saved model holds (early stopping's restoreBest), which `final` then describes.
 */
function runBookkeeping(dir: string, summary: RunSummary, spec: ExperimentSpec, metrics: readonly EpochMetrics[], started: number) {
  const earlierSeconds = summary.durationSeconds;
  let keptEpoch: number | undefined;
  return {
    keep: (epoch: number | undefined) => void (keptEpoch = epoch),
    write(status: RunStatus, error?: string) {
      summary.status = status;
      summary.durationSeconds = round(earlierSeconds + (performance.now() - started) / 1000, 3);
      summary.peakRssMiB = Math.max(summary.peakRssMiB, round(process.resourceUsage().maxRSS / 1024, 1));
      summary.epochsCompleted = Math.max(0, metrics.length - 1);
      const kept = metrics.find((row) => row.epoch === keptEpoch) ?? metrics.at(-1);
      summary.final = kept ? { test_loss: kept.test_loss, ...finalMetrics(summary.task, kept) } : null;
      summary.best = bestSummary(summary.task, metrics, spec.earlyStopping?.metric);
      if (error) summary.error = error;
      else delete summary.error;
      writeRunSummary(dir, summary);
    },
  };
}

/** What train() is given: the spec's training keys, the dataset, the class weights as summary.json keeps them, a checkpoint to resume. */
function trainingConfig(spec: ExperimentSpec, dataset: Dataset, summary: RunSummary, checkpoint: FolderRun['checkpoint']): Parameters<typeof train>[0] {
  return {
    dataset,
    model: spec.model,
    optimizer: spec.optimizer,
    schedule: spec.schedule,
    backend: spec.backend,
    task: spec.task,
    loss: spec.loss,
    batchSize: spec.batchSize,
    epochs: spec.epochs,
    seed: spec.seed,
    shuffle: spec.data.shuffle,
    augment: spec.data.augment,
    earlyStopping: spec.earlyStopping as Required<EarlyStoppingSpec> | undefined,
    classWeights: summary.classWeights === undefined ? undefined : dataset.classNames.map((name) => summary.classWeights![name]),
    resume: checkpoint,
    checkpointSeconds: checkpointSeconds(),
  };
}

/** How often an unfinished run saves a checkpoint: at the first epoch that ends $SPECML_CHECKPOINT_SECONDS seconds of training after the last one (default 10; 0: every epoch). */
function checkpointSeconds(): number {
  const given = process.env.SPECML_CHECKPOINT_SECONDS;
  if (given === undefined || given === '') return DEFAULT_CHECKPOINT_SECONDS;
  const seconds = Number(given);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UserError(`$SPECML_CHECKPOINT_SECONDS ${given}: expected a number of seconds, 0 or more (0: a checkpoint every epoch; default ${DEFAULT_CHECKPOINT_SECONDS})`);
  return seconds;
}

/** Sub-second epochs need not each save a checkpoint (Lightning's train_time_interval); a killed run redoes at most this much. */
const DEFAULT_CHECKPOINT_SECONDS = 10;

/** Where a run's time went, in seconds (3 decimals): start-up, data, training's parts, and writing the outputs. */
function runTimings(training: TrainTimings, started: number, dataSeconds: number, outputStarted: number): RunTimings {
  const { backendSeconds, augmentationSeconds, trainingSeconds, evaluationSeconds, checkpointSeconds } = training;
  return {
    startupSeconds: round(startupSeconds(started), 3),
    dataSeconds: round(dataSeconds, 3),
    backendSeconds: round(backendSeconds, 3),
    augmentationSeconds: round(augmentationSeconds, 3),
    trainingSeconds: round(trainingSeconds, 3),
    evaluationSeconds: round(evaluationSeconds, 3),
    checkpointSeconds: round(checkpointSeconds, 3),
    outputSeconds: round((performance.now() - outputStarted) / 1000, 3),
  };
}

/**
 * The run's report.html, and the runs dir's index.html rebuilt with this run in it, where the run sits
 * in the <runs-dir>/<name>/<run-id> layout (a run folder copied elsewhere updates only its report).
 * Best-effort: a problem (another run's unreadable summary, a read-only folder) is a warning, never the
 * run's failure.
 */
export async function refreshPages(dir: string, summary: RunSummary, updateIndex: boolean): Promise<void> {
  try {
    writeFileAtomic(join(dir, RUN_FILES.report), renderRunReport(readRun(dir), '../../index.html'));
  } catch (error) {
    warn(`could not write ${join(dir, RUN_FILES.report)}: ${(error as Error).message}`);
  }
  if (updateIndex && inRunsLayout(dir, summary)) await refreshRunsIndex(runsDirOf(dir));
}

/** Whether a run folder sits in the <runs-dir>/<name>/<run-id> layout (a folder copied elsewhere has no runs index). */
const inRunsLayout = (dir: string, summary: RunSummary) => basename(dir) === summary.runId && basename(dirname(dir)) === summary.name;
const runsDirOf = (dir: string) => dirname(dirname(dir));

/** Rebuilds a runs dir's index.html, best-effort: problems are warnings. */
export async function refreshRunsIndex(runsDir: string): Promise<void> {
  try {
    // Runs ending at the same moment each rewrite the index; one that read the others before they ended
    // must not have the last word: it writes again until nothing moved while it wrote (a few rounds at most).
    for (let round = 0; round < 3; round++) {
      const before = runsIndexState(runsDir);
      const { warnings } = await writeRunsIndex(runsDir);
      if (round === 0) warnings.forEach(warn);
      if (runsIndexState(runsDir) === before) break;
    }
  } catch (error) {
    warn(`could not write ${join(runsDir, 'index.html')}: ${(error as Error).message}`);
  }
}

const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);

/**
 * Pictures of the trained model on the test set: curves and the confusion matrix; for images, grids of
 * predictions and of the most confident mistakes; for a table, predictions.csv (one row per test row).
 */
async function writePictures(dir: string, probabilities: Float32Array, dataset: Dataset, spec: ExperimentSpec, curves: Promise<Buffer>) {
  if (dataset.target) return writeRegressionPictures(dir, probabilities, dataset, spec, curves);
  const { test, classNames, inputShape } = dataset;
  const classCount = classNames.length;
  const predicted = Array.from(predictedClasses(probabilities, classCount));
  const confidences = Float32Array.from(predicted, (label, i) => probabilities[i * classCount + label]);

  if (isImageDataset(dataset) && test.inputs instanceof Uint8Array) {
    const grid = { images: test.inputs, inputShape, inkOnPaper: dataset.inkOnPaper, labels: test.labels, predicted, classNames, columns: 8 };
    const first = Array.from({ length: Math.min(PREDICTION_COUNT, test.count) }, (_, i) => i);
    const wrongOfFirst = first.filter((i) => predicted[i] !== test.labels[i]).length;
    writeFileAtomic(join(dir, RUN_FILES.predictionsPicture), renderPredictionGrid({ ...grid, indices: first, title: `${spec.name}: the first ${first.length} test images (${wrongOfFirst} wrong)` }));
    const mistakes = mostConfidentMistakes(test.labels, predicted, confidences, PREDICTION_COUNT);
    const wrong = predicted.filter((label, i) => label !== test.labels[i]).length;
    writeFileAtomic(
      join(dir, RUN_FILES.misclassifiedPicture),
      renderPredictionGrid({ ...grid, indices: mistakes, confidences, title: `${spec.name}: the ${mistakes.length} most confident of ${wrong} mistakes on ${test.count} test images` }),
    );
  } else {
    writeFileAtomic(join(dir, RUN_FILES.predictions), predictionsCsv(test.labels, probabilities, classNames, dataset.testText));
  }

  const matrix = confusionMatrix(test.labels, predicted, classCount);
  writeFileAtomic(join(dir, RUN_FILES.confusion), confusionCsv(matrix, classNames));
  writeFileAtomic(join(dir, RUN_FILES.perClass), perClassCsv(perClassScores(test.labels.subarray(0, test.count), predicted, classCount), classNames));
  const [confusionPicture, curvesPicture] = await Promise.all([
    renderConfusion(matrix, classNames, confusionTitle(spec, dataset)),
    curves,
  ]);
  writeFileAtomic(join(dir, RUN_FILES.confusionPicture), confusionPicture);
  writeFileAtomic(join(dir, RUN_FILES.curvesPicture), curvesPicture);
}

/** A regression's pictures: curves of loss and R², predicted against true, the errors; the rows in predictions.csv, largest errors first. */
async function writeRegressionPictures(dir: string, predicted: Float32Array, dataset: Dataset, spec: ExperimentSpec, curves: Promise<Buffer>) {
  const truth = dataset.test.labels;
  const target = dataset.target!.name;
  writeFileAtomic(join(dir, RUN_FILES.predictions), regressionPredictionsCsv(truth, predicted, dataset.testText));
  const pictures = await Promise.all([
    renderPredictedVersusTrue(truth, predicted, target, `${spec.name}: predicted against true ${target} on ${dataset.test.count} test rows`),
    renderResiduals(truth, predicted, target, `${spec.name}: errors on ${dataset.test.count} test rows`),
    curves,
  ]);
  [RUN_FILES.predictedVersusTruePicture, RUN_FILES.residualsPicture, RUN_FILES.curvesPicture].forEach((file, index) => writeFileAtomic(join(dir, file), pictures[index]));
}

/** The curves picture's title: loss and accuracy per epoch, or loss and R² for a regression. */
function curvesTitle(spec: ExperimentSpec, dataset: Dataset): string {
  return `${spec.name}: loss and ${dataset.target ? 'R²' : 'accuracy'} per epoch`;
}

const curvesScore = (dataset: Dataset): CurvesScore => (dataset.target ? 'r2' : 'accuracy');

function confusionTitle(spec: ExperimentSpec, dataset: Dataset): string {
  return `${spec.name}: confusion matrix on ${dataset.test.count} test ${isImageDataset(dataset) ? 'images' : 'rows'}`;
}

/** data.classWeights as summary.json keeps them: class name → weight (a resume trains with the same). */
function classWeightsSummary(spec: ExperimentSpec, dataset: Dataset): Pick<RunSummary, 'classWeights'> {
  const asked = spec.data.classWeights as 'balanced' | Record<string, number> | undefined;
  if (asked === undefined) return {};
  const weights = classWeightsOf(asked, dataset);
  return { classWeights: Object.fromEntries(dataset.classNames.map((name, k) => [name, weights[k]])) };
}

/** `10 classes (0, 1, …, 9)`, naming at most ten. */
function describeClasses(classNames: readonly string[]): string {
  const names = classNames.map(printable);
  return `${names.length} classes (${names.length > 10 ? `${names.slice(0, 9).join(', ')}, …, ${names.at(-1)}` : names.join(', ')})`;
}

function resolvedSpecYaml(spec: ExperimentSpec, options: ExperimentOptions): string {
  const overrides = options.overrides?.length ? `, with --set ${options.overrides.join(' --set ')}` : '';
  return `# Resolved from ${options.specFile}${overrides}: every default filled in.\n${stringifyYaml(spec)}`;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
