import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { loadDataset, type Dataset } from '@specml/data';
import { appendMetricsRow, createMetricsCsv, renderPredictionGrid } from '@specml/reporter';
import { predictImages, saveModel, train, TrainingDivergedError, type BackendSelection, type EpochMetrics } from '@specml/trainer';
import { loadSpec, type LoadedSpec } from './load-spec.js';
import { createProgress } from './progress.js';
import { createRunFolder, writeFileAtomic } from './run-folder.js';
import { checkSpec, checkSpecAgainstData } from './semantic-checks.js';
import type { ExperimentSpec } from './spec-schema.js';

export interface ExperimentOptions {
  readonly specFile: string;
  readonly overrides?: readonly string[];
  readonly runsDir?: string;
  readonly signal?: AbortSignal;
}

export type RunStatus = 'running' | 'completed' | 'diverged' | 'interrupted' | 'failed';

export interface RunSummary {
  name: string;
  runId: string;
  status: RunStatus;
  epochs: number;
  epochsCompleted: number;
  backend: string | null;
  tfjsBackend: string | null;
  seed: number;
  specFile: string;
  startedAt: string;
  durationSeconds: number;
  /** The process's peak resident memory so far, in MiB. */
  peakRssMiB: number;
  final: { test_accuracy: number; test_loss: number } | null;
  best: { epoch: number; test_accuracy: number } | null;
  error?: string;
}

export interface RunOutcome {
  readonly dir: string;
  readonly summary: RunSummary;
}

/** How many test digits predictions.png shows. */
const PREDICTION_COUNT = 24;

/**
 * Validates a spec and its data before touching the runs dir, so a bad spec or dataset writes nothing.
 * Returns what training needs.
 */
export function prepareExperiment(specFile: string, overrides: readonly string[] = []): { loaded: LoadedSpec; dataset: Dataset } {
  const loaded = loadSpec(specFile, overrides);
  checkSpec(loaded);
  const dataset = loadDataset(loaded.spec.data, dirname(resolve(specFile)));
  checkSpecAgainstData(loaded, dataset);
  return { loaded, dataset };
}

/** Runs one experiment end to end and leaves its run folder; throws UserError for bad input. */
export async function runExperiment(options: ExperimentOptions): Promise<RunOutcome> {
  const started = performance.now();
  const { loaded, dataset } = prepareExperiment(options.specFile, options.overrides);
  const { spec } = loaded;
  const { dir, runId } = createRunFolder(options.runsDir ?? 'runs', spec.name!);
  process.stdout.write(`run ${spec.name}/${runId}: ${dataset.name}, ${dataset.train.count} training and ${dataset.test.count} test images\n`);

  const summary: RunSummary = {
    name: spec.name!,
    runId,
    status: 'running',
    epochs: spec.epochs,
    epochsCompleted: 0,
    backend: null,
    tfjsBackend: null,
    seed: spec.seed,
    specFile: options.specFile,
    startedAt: new Date().toISOString(),
    durationSeconds: 0,
    peakRssMiB: 0,
    final: null,
    best: null,
  };
  const metrics: EpochMetrics[] = [];
  const writeSummary = (status: RunStatus, error?: string) => {
    summary.status = status;
    summary.durationSeconds = round((performance.now() - started) / 1000, 3);
    summary.peakRssMiB = round(process.resourceUsage().maxRSS / 1024, 1);
    summary.epochsCompleted = Math.max(0, metrics.length - 1);
    const last = metrics.at(-1);
    summary.final = last ? { test_accuracy: last.test_accuracy, test_loss: last.test_loss } : null;
    const best = metrics.reduce<EpochMetrics | undefined>((top, row) => (!top || row.test_accuracy > top.test_accuracy ? row : top), undefined);
    summary.best = best ? { epoch: best.epoch, test_accuracy: best.test_accuracy } : null;
    if (error) summary.error = error;
    writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  };

  writeFileAtomic(join(dir, 'spec.yaml'), resolvedSpecYaml(spec, options));
  const metricsPath = join(dir, 'metrics.csv');
  createMetricsCsv(metricsPath);
  writeSummary('running');

  const progress = createProgress(spec.epochs);
  try {
    const result = await train(
      {
        dataset,
        model: spec.model,
        optimizer: spec.optimizer,
        backend: spec.backend,
        batchSize: spec.batchSize,
        epochs: spec.epochs,
        seed: spec.seed,
        shuffle: spec.data.shuffle,
      },
      {
        onBackend: (selection: BackendSelection) => {
          summary.backend = selection.name;
          summary.tfjsBackend = selection.tfjsBackend;
          progress.backend(selection);
        },
        onEpochStart: (epoch, samples) => progress.epochStart(epoch, samples),
        onProgress: (_, done) => progress.samplesDone(done),
        onEpochEnd: (row) => {
          metrics.push(row);
          appendMetricsRow(metricsPath, row);
          progress.epochEnd(row);
          writeSummary('running');
        },
        signal: options.signal,
      },
    );
    await saveModel(result.model, join(dir, 'model'));
    writePredictions(dir, result.model, dataset, spec);
    result.model.dispose();
    writeSummary('completed');
    return { dir, summary };
  } catch (error) {
    progress.stop();
    if (error instanceof TrainingDivergedError) writeSummary('diverged', error.message);
    else if (options.signal?.aborted && error === options.signal.reason) writeSummary('interrupted');
    else writeSummary('failed', String((error as Error)?.stack ?? error));
    throw Object.assign(error as Error, { runDir: dir });
  }
}

function writePredictions(dir: string, model: Parameters<typeof predictImages>[0], dataset: Dataset, spec: ExperimentSpec) {
  const count = Math.min(PREDICTION_COUNT, dataset.test.count);
  const { predicted } = predictImages(model, dataset.test.images, dataset.imageShape, count);
  const wrong = predicted.filter((label, i) => label !== dataset.test.labels[i]).length;
  const png = renderPredictionGrid({
    images: dataset.test.images,
    imageShape: dataset.imageShape,
    labels: dataset.test.labels,
    predicted,
    classNames: dataset.classNames,
    count,
    columns: 8,
    title: `${spec.name}: the first ${count} test images (${wrong} wrong)`,
  });
  writeFileSync(join(dir, 'predictions.png'), png);
}

function resolvedSpecYaml(spec: ExperimentSpec, options: ExperimentOptions): string {
  const overrides = options.overrides?.length ? `, with --set ${options.overrides.join(' --set ')}` : '';
  return `# Resolved from ${options.specFile}${overrides}: every default filled in.\n${stringifyYaml(spec)}`;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
