import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { describeDataset, describeTestMetrics, imbalanceWarnings, isImageDataset, isUserError, UserError, type EpochMetrics } from '@specml/data';
import { compareRuns, isSweepFolder, summaryIfReadable, warmCharts, type RunSummary } from '@specml/reporter';
import { formatModelSummary, modelSummary } from '@specml/model-zoo';
import { BACKENDS, TrainingDivergedError } from '@specml/trainer';
import { prepareExperiment, refreshRunsIndex, resumeExperiment, runExperiment } from './run/run-experiment.js';
import { describeSpread, hasMembers, resumeWithMembers, runWithMembers } from './run/member-runs.js';
import { loadSpec } from './spec/load-spec.js';
import { DEFAULT_PATIENCE_SECONDS } from './executors/queue-protocol.js';
import { QUEUE_ENV, queueAddress } from './executors/redis-address.js';
import { LocalPoolExecutor } from './executors/local-pool.js';
import { serveTrials } from './executors/trial-process.js';
import { fileSystemProblem } from './run/file-system-errors.js';
import { runFailure } from './run/run-folder-error.js';
import { newRunId } from './run/run-folder.js';
import { isSweep, runSweep, SweepIncompleteError, SweepInterruptedError } from './sweep/run-sweep.js';
import { publishedSpecSchema } from './spec/published-schema.js';
import { experimentSpecSchema } from './spec/spec-schema.js';
import { withSpecReference } from './spec/spec-reference.js';

export const EXIT = { ok: 0, internal: 1, userError: 2, diverged: 3, sweepIncomplete: 4, interrupted: 130 } as const;

class InterruptedError extends Error {
  constructor(cause: string) {
    super(`interrupted by ${cause}`);
  }
}

/** How often training checks that the process which started it is still there. */
const LAUNCHER_CHECK_MS = 500;

/**
 * Training lives and dies with whoever started it: Ctrl-C, SIGTERM, a closed terminal (SIGHUP), the
 * launcher's death (npx or nx killed: this process is re-parented) and a closed stdout (a pipe whose
 * reader left, EPIPE) all stop the run between two chunks of batches, mark it interrupted and keep its
 * checkpoint. A second signal exits at once.
 */
function stopWithLauncher(): AbortController {
  const controller = new AbortController();
  const stop = (cause: string) => {
    if (!controller.signal.aborted) controller.abort(new InterruptedError(cause));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stop(signal);
      process.once(signal, () => process.exit(EXIT.interrupted));
    });
  }
  const launcher = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== launcher) stop(`the exit of the process that started it (pid ${launcher})`);
  }, LAUNCHER_CHECK_MS);
  watch.unref();
  controller.signal.addEventListener('abort', () => clearInterval(watch));
  if (outputClosed.aborted) stop('a closed output pipe');
  outputClosed.addEventListener('abort', () => stop('a closed output pipe'));
  return controller;
}

/** Aborted once nobody reads stdout or stderr any more (`exp … | head`): later writes are dropped, not thrown. */
const outputClosed = (() => {
  const closed = new AbortController();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') closed.abort();
      else throw error;
    });
  }
  return closed.signal;
})();

/**
 * Under `nx run`, commands run in the workspace root; INIT_CWD is where the person typed the command,
 * so relative paths they give resolve from there.
 */
function fromCaller(path: string): string {
  const callerDir = process.env.INIT_CWD;
  if (!callerDir || isAbsolute(path)) return path;
  const resolved = resolve(callerDir, path);
  return relative(process.cwd(), resolved) || '.';
}

/** A path this process prints, as the person can paste it back in the folder where they typed the command. */
function forCaller(path: string): string {
  const callerDir = process.env.INIT_CWD;
  if (!callerDir || isAbsolute(path)) return path;
  return relative(callerDir, resolve(path)) || '.';
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `; best epoch 12 on validation data (validation_accuracy 0.9312), test accuracy 0.9250 there`, where the run has validation data. */
function describeBest(summary: RunSummary): string {
  const { best } = summary;
  if (!best) return '';
  const chosenBy = Object.keys(best).find((column) => column.startsWith('validation_'));
  return `; best epoch ${best.epoch} on validation data (${chosenBy} ${chosenBy ? best[chosenBy as keyof typeof best]?.toFixed(4) : '?'}), ${describeTestMetrics(best as EpochMetrics)} there`;
}

/** The coordinator gave up on a Redis that stopped answering: the work goes on where it can, and resumes. */
class QueueLostError extends UserError {
  constructor(reason: string) {
    super(`${reason}: giving up here (the trials that run go on on their workers; run the same command again, or resume the sweep, once Redis is back)`);
  }
}

/** How a resume names the queue it ran on: the way this command was given it. */
let queueResumeHint = ' --queue <the same Redis URL>';
function rememberQueueSource(options: { queue?: string; queueFile?: string }): void {
  if (options.queueFile !== undefined) queueResumeHint = ` --queue-file ${options.queueFile}`;
  else if (options.queue === undefined) queueResumeHint = ` (with $${QUEUE_ENV} set as now)`;
}

/** $SPECML_QUEUE_PATIENCE: how many seconds a coordinator waits for a Redis that stopped answering. */
function queuePatience(): number {
  const given = process.env.SPECML_QUEUE_PATIENCE;
  if (given === undefined || given === '') return DEFAULT_PATIENCE_SECONDS;
  const seconds = Number(given);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`$SPECML_QUEUE_PATIENCE ${given}: expected a number of seconds above 0 (default ${DEFAULT_PATIENCE_SECONDS})`);
  return seconds;
}

interface ExpOptions {
  set: string[];
  runsDir: string;
  backend?: string;
  resume?: string;
  /** The --sweep values, or false for --no-sweep. */
  sweep: string[] | false;
  workers?: string;
  retryFailed?: boolean;
  queue?: string;
  queueFile?: string;
}

export function buildProgram(): Command {
  const program = new Command('specml')
    .description('Declarative neural-network experiments on TensorFlow.js: a YAML spec in, a run folder out.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => void process.stderr.write(text) });

  for (const addCommand of [addExpCommand, addWorkerCommand, addTrialCommand, addValidateCommand, addCompareCommand, addPredictCommand, addEvaluateCommand, addExportCommand, addServeCommand, addDashboardCommand, addSchemaCommand]) addCommand(program);
  return program;
}

function addExpCommand(program: Command): void {
  program
    .command('exp')
    .description('train the model a spec describes and write a run folder')
    .argument('[spec]', 'the experiment spec, e.g. experiments/baseline.yaml')
    .option('--set <key.path=value>', 'override a spec key (repeatable), validated like the file', collect, [])
    .option('--runs-dir <dir>', 'where run folders go', 'runs')
    .addOption(new Option('--backend <name>', 'shorthand for --set backend=<name>').choices(BACKENDS))
    .option('--resume <folder>', 'continue an interrupted run from its last checkpoint, in its own folder; or a sweep (runs/<name>/sweep-<id>): its unfinished trials, keeping the finished ones')
    .option('--retry-failed', 'with --resume of a sweep: run its failed trials again too')
    .option('--sweep <key.path=v1,v2>', 'try each value (repeatable; the grid of all combinations runs as separate trials)', collect, [])
    .option('--workers <n>', 'trials of a sweep run in parallel (default: the number of cores; with --queue, trials queued at once, default 64)')
    .option('--queue <redis-url>', `run on the workers of this Redis queue (redis://[:password@]host:port, rediss:// for TLS; with a password, prefer --queue-file or $${QUEUE_ENV}); see \`worker\``)
    .option('--queue-file <file>', `run on the queue whose Redis URL is the first line of this file (or set $${QUEUE_ENV})`)
    .addOption(new Option('--no-sweep', 'ignore the spec\'s sweep: block and run the base spec once').hideHelp())
    .action(runExp);
}

/** What `exp` was asked to do, checked: which spec (or folder to resume), with what, where. */
interface ExpRequest {
  readonly specFile?: string;
  readonly overrides: string[];
  readonly sweeps: string[];
  readonly resume?: string;
  /** --resume names a sweep folder (else a run folder). */
  readonly resumesSweep: boolean;
  readonly retryFailed: boolean;
  /** --no-sweep: the spec's sweep block is ignored. */
  readonly ignoreSweep: boolean;
  readonly runsDir: string;
  readonly workers?: number;
}

function expRequest(specFile: string | undefined, options: ExpOptions): ExpRequest {
  const overrides = [...options.set, ...(options.backend ? [`backend=${options.backend}`] : [])];
  const resume = options.resume === undefined ? undefined : fromCaller(options.resume);
  const resumesSweep = resume !== undefined && isSweepFolder(resume);
  if (options.retryFailed && !resumesSweep) throw new UserError('exp: --retry-failed goes with --resume <sweep folder> (runs/<name>/sweep-<id>)');
  if (specFile === undefined && resume === undefined) throw new UserError('exp: give a spec file, or --resume <run or sweep folder> (e.g. exp experiments/baseline.yaml)');
  if (!resumesSweep && resume !== undefined && (specFile !== undefined || overrides.length > 0)) {
    throw new UserError('exp: --resume continues the run with its own spec.yaml; a spec file, --set and --backend do not apply');
  }
  const workers = options.workers === undefined ? undefined : Number(options.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new UserError(`--workers ${options.workers}: expected a whole number of at least 1`);
  return {
    specFile: specFile === undefined ? undefined : fromCaller(specFile),
    overrides,
    sweeps: Array.isArray(options.sweep) ? options.sweep : [],
    resume,
    resumesSweep,
    retryFailed: options.retryFailed === true,
    ignoreSweep: options.sweep === false,
    runsDir: fromCaller(options.runsDir),
    workers,
  };
}

/** Where exp's trials run: the queue's workers when given one, else processes of this machine. */
interface ExpContext {
  readonly request: ExpRequest;
  readonly signal: AbortSignal;
  readonly executor?: QueueExecutor;
}

type QueueExecutor = Awaited<ReturnType<(typeof import('./executors/queue-executor.js'))['QueueExecutor']['connect']>>;

/** The ways exp runs, in order: the first that applies to the request runs it. */
const EXP_MODES: ReadonlyArray<{ readonly applies: (request: ExpRequest) => boolean; readonly run: (context: ExpContext) => Promise<unknown> }> = [
  { applies: (request) => request.resumesSweep, run: ({ request, signal, executor }) => runSweep({ ...sweepOptions(request, signal, executor), resume: request.resume!, retryFailed: request.retryFailed }) },
  { applies: (request) => !request.resume && !request.ignoreSweep && isSweep(request.specFile!, request.overrides, request.sweeps), run: ({ request, signal, executor }) => runSweep(sweepOptions(request, signal, executor)) },
  { applies: (request) => !request.resume && hasMembers(loadSpec(request.specFile!, request.overrides).spec), run: runMembers },
  { applies: (request) => request.resume !== undefined && summaryIfReadable(request.resume)?.members !== undefined, run: runMembers },
  { applies: () => true, run: runSingle },
];

async function runExp(specFile: string | undefined, options: ExpOptions): Promise<void> {
  const request = expRequest(specFile, options);
  // Every way exp runs ends in charts drawn here (a run's pictures, or the runs index's chart after a sweep
  // or a queued run): the chart thread loads its libraries and warms up now, on the other core, while this
  // thread reads the spec and the data, or the sweep's trial processes start, rather than after them.
  warmCharts();
  const address = queueAddress(options);
  rememberQueueSource(options);
  const controller = stopWithLauncher();
  // The queue's code (BullMQ, ioredis) loads only for a run on the queue; likewise each command's own modules.
  const executor = address ? await (await import('./executors/queue-executor.js')).QueueExecutor.connect(address, request.workers ?? 64, { seconds: queuePatience(), onGiveUp: (reason) => controller.abort(new QueueLostError(reason)) }) : undefined;
  try {
    await EXP_MODES.find((mode) => mode.applies(request))!.run({ request, signal: controller.signal, executor });
  } finally {
    await executor?.close();
  }
}

function sweepOptions(request: ExpRequest, signal: AbortSignal, executor: QueueExecutor | undefined) {
  const { specFile, overrides, sweeps, runsDir, workers } = request;
  return { localExecutor: (slots: number) => new LocalPoolExecutor(slots), specFile, overrides, sweeps, runsDir, workers, signal, executor };
}

/** A run with folds or repeats (new, or resumed): its members on the queue's workers or this machine's processes, then their spread. */
async function runMembers({ request, signal, executor }: ExpContext): Promise<void> {
  const pool = executor ? undefined : new LocalPoolExecutor(request.workers ?? availableParallelism());
  const members = { signal, executor: executor ?? pool! };
  const outcome = await (request.resume ? resumeWithMembers(request.resume, members) : runWithMembers({ specFile: request.specFile!, overrides: request.overrides, runsDir: request.runsDir, ...members })).finally(() => pool?.close());
  await refreshRunsIndex(request.resume ? dirname(dirname(request.resume)) : request.runsDir);
  if (outcome.incomplete) throw new UserError(outcome.incomplete);
  process.stdout.write(`done in ${outcome.summary.durationSeconds.toFixed(1)} s: ${describeSpread(outcome.summary)}\n${forCaller(outcome.dir)}\n`);
}

/** One run: on the queue, resumed in its folder, or here. */
async function runSingle({ request, signal, executor }: ExpContext): Promise<void> {
  if (request.resume && executor) throw new UserError('exp: --resume of a single run continues it here; run it without --queue');
  const outcome = executor
    ? await (await import('./executors/queued-run.js')).runOnQueue(request.specFile!, request.overrides, request.runsDir, executor, signal)
    : request.resume
      ? await resumeExperiment(request.resume, { signal })
      : await runExperiment({ specFile: request.specFile!, overrides: request.overrides, runsDir: request.runsDir, signal });
  if (executor) await refreshRunsIndex(request.runsDir);
  const { summary } = outcome;
  process.stdout.write(
    `done in ${summary.durationSeconds.toFixed(1)} s on ${summary.backend}${summary.worker ? ` (worker ${summary.worker})` : ''}: final ${describeTestMetrics(summary.final as EpochMetrics)}${describeBest(summary)}\n${forCaller(outcome.dir)}\n`,
  );
}

function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('pull trials from a Redis queue and run them (start one on each machine; exp … --queue sends them)')
    .option('--queue <redis-url>', `the queue: redis://[:password@]host:port, or rediss:// for TLS (with a password, prefer --queue-file or $${QUEUE_ENV})`)
    .option('--queue-file <file>', 'a file whose first line is the queue\'s Redis URL')
    .option('--concurrency <n>', 'trials at a time, each in its own process', '1')
    .option('--work-dir <dir>', 'where trials run on this machine (their folders go to the coordinator, then are removed here)', '.specml-worker')
    .action(async (options: { queue?: string; queueFile?: string; concurrency: string; workDir: string }) => {
      const concurrency = Number(options.concurrency);
      const cores = availableParallelism();
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`--concurrency ${options.concurrency}: expected a whole number of at least 1`);
      // Each trial is a process that keeps a core busy: more than the cores only slows every trial down.
      if (concurrency > cores) throw new UserError(`--concurrency ${options.concurrency}: this machine has ${cores} cores, so at most ${cores} trials at a time (start a worker on another machine for more)`);
      const address = queueAddress(options);
      if (!address) throw new UserError(`worker: give the queue with --queue-file <file>, $${QUEUE_ENV}, or --queue <redis-url>`);
      const stopping = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          stopping.abort();
          process.once(signal, () => process.exit(EXIT.interrupted));
        });
      }
      const { runQueueWorker } = await import('./executors/queue-worker.js');
      await runQueueWorker({ address, concurrency, workDir: fromCaller(options.workDir), signal: stopping.signal });
    });
}

function addTrialCommand(program: Command): void {
  // The child side of the local trial pool (run by runSweep, not by people): trials over IPC.
  program.command('trial', { hidden: true }).action(async () => {
    if (!process.send) throw new UserError('trial: runs only as a sweep\'s worker process (use exp)');
    await serveTrials(stopWithLauncher().signal);
  });
}

function addValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check a spec (and that its dataset loads) without training')
    .argument('<spec>', 'the experiment spec')
    .option('--set <key.path=value>', 'override a spec key (repeatable)', collect, [])
    .action(async (specFile: string, options: { set: string[] }) => {
      const { loaded, dataset } = await prepareExperiment(fromCaller(specFile), options.set);
      const { spec } = loaded;
      process.stdout.write(
        `${specFile}: valid: ${spec.name}, ${spec.model.layers.length} layers, ${spec.optimizer.name}, batch ${spec.batchSize}, ${spec.epochs} epochs on ${dataset.name} (${dataset.train.count}/${dataset.test.count} ${isImageDataset(dataset) ? 'images' : 'rows'})\n${describeDataset(dataset)}${formatModelSummary(modelSummary(spec.model, dataset))}`,
      );
      for (const warning of imbalanceWarnings(dataset)) process.stderr.write(`warning: ${warning}\n`);
    });
}

function addCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('compare runs: the spec keys that differ, validation and test scores (mean ± interval for runs with folds or repeats), whether the first two differ by more than the noise; writes comparison.csv and .png in a folder of its own')
    .argument('[folders...]', 'run folders or experiment folders (default: every run in the runs dir)')
    .option('--runs-dir <dir>', 'the runs compared by default; each comparison goes to <runs-dir>/comparisons/<time>/', 'runs')
    .option('--out <dir>', 'where comparison.csv and comparison.png go instead')
    .action(async (folders: string[], options: { runsDir: string; out?: string }) => {
      const runsDir = fromCaller(options.runsDir);
      // A folder per comparison: one never replaces another's files.
      const outputDir = options.out === undefined ? join(runsDir, 'comparisons', newRunId()) : fromCaller(options.out);
      const comparison = await compareRuns(folders.length ? folders.map(fromCaller) : [runsDir], outputDir);
      for (const warning of comparison.warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(`${comparison.table}\n${comparison.csvPath}\n${comparison.pngPath}\n`);
    });
}

function addPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('predict with a run\'s saved model: the class (or number) of images, or of every row of CSV files for a table\'s model')
    .requiredOption('--run <run-folder>', 'a completed run, e.g. runs/baseline/<run-id>')
    .argument('[inputs...]', 'image files (any size, grey or colour), or CSV files with the training table\'s columns')
    .option('--json', 'print a JSON array of {file, class, index, probabilities: {class: p}} (a regression: {file, value}) instead')
    .option('--out <file.csv>', 'also write the predictions to a CSV file: one row per input, the class and each class\'s probability')
    .option('--onnx [model]', 'predict with the run\'s ONNX export through ONNX Runtime (default: <run>/model.onnx, written by `export`)')
    .action(async (inputs: string[], options: { run: string; json?: boolean; onnx?: string | true; out?: string }) => {
      const { describePrediction, predictFiles, predictionsAsCsv } = await import('./commands/predict.js');
      const { onnxFileOf } = await import('./commands/export.js');
      // `--onnx rows.csv` (an optional value taking the next word): a file that is not a .onnx model is an input.
      const onnxGiven = typeof options.onnx === 'string' && options.onnx.toLowerCase().endsWith('.onnx') ? options.onnx : undefined;
      const files = [...inputs, ...(typeof options.onnx === 'string' && onnxGiven === undefined ? [options.onnx] : [])];
      if (files.length === 0) throw new UserError('predict: give image files or CSV files to predict (e.g. predict --run runs/own-table/<run-id> rows.csv)');
      const onnxFile = options.onnx === undefined ? undefined : onnxGiven === undefined ? onnxFileOf(fromCaller(options.run)) : fromCaller(onnxGiven);
      const outcome = await predictFiles(fromCaller(options.run), files.map(fromCaller), onnxFile);
      for (const warning of outcome.warnings) process.stderr.write(`warning: ${warning}\n`);
      if (options.json) process.stdout.write(`${JSON.stringify(outcome.predictions, null, 2)}\n`);
      else for (const prediction of outcome.predictions) process.stdout.write(`${describePrediction(prediction)}\n`);
      if (options.out !== undefined) writeFileSync(fromCaller(options.out), predictionsAsCsv(outcome));
      if (outcome.failures.length > 0) {
        throw new UserError(outcome.failures[0], outcome.failures.slice(1));
      }
    });
}

function addEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('score a run\'s saved model on a labelled CSV file: accuracy, F1, AUC and the confusion matrix (a regression: MAE, RMSE, R²)')
    .requiredOption('--run <run-folder>', 'a completed run of a table, e.g. runs/own-table/<run-id>')
    .argument('<labelled...>', 'CSV files with the training table\'s columns, the target included')
    .option('--onnx [model]', 'score the run\'s ONNX export through ONNX Runtime instead (default: <run>/model.onnx)')
    .action(async (files: string[], options: { run: string; onnx?: string | true }) => {
      const { evaluateRun } = await import('./commands/evaluate.js');
      const { onnxFileOf } = await import('./commands/export.js');
      const onnxFile = options.onnx === undefined ? undefined : options.onnx === true ? onnxFileOf(fromCaller(options.run)) : fromCaller(options.onnx);
      const outcome = await evaluateRun(fromCaller(options.run), files.map(fromCaller), onnxFile);
      for (const warning of outcome.warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(`${outcome.text}${forCaller(outcome.dir)}\n`);
    });
}

function addExportCommand(program: Command): void {
  program
    .command('export')
    .description('write a run\'s model as ONNX, to run it anywhere ONNX Runtime runs (Python, C#, Java, browsers)')
    .requiredOption('--run <run-folder>', 'a completed run, e.g. runs/baseline/<run-id>')
    .addOption(new Option('--format <format>', 'the model format').choices(['onnx']).default('onnx'))
    .option('--out <file>', 'where to write it (default: <run>/model.onnx); an existing file is replaced only with --force')
    .option('--force', 'replace an existing --out file')
    .action(async (options: { run: string; out?: string; force?: boolean }) => {
      const { exportRunToOnnx } = await import('./commands/export.js');
      const { file, bytes, input, output } = await exportRunToOnnx(fromCaller(options.run), options.out === undefined ? undefined : fromCaller(options.out), options.force);
      process.stdout.write(`wrote ${forCaller(file)} (${(bytes / 1024).toFixed(1)} KiB, ONNX opset 13): input ${input}, output ${output}\n`);
    });
}

function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a page on localhost where the run\'s model predicts an image you choose or drop (and, for digit models, a digit you draw)')
    .requiredOption('--run <run-folder>', 'a completed run, e.g. runs/baseline/<run-id>')
    .option('--port <number>', 'the port on 127.0.0.1 (0: any free port)', '8080')
    .option('--decode-seconds <seconds>', 'the longest an uploaded image may take to decode; longer ones are refused', '10')
    .action(async (options: { run: string; port: string; decodeSeconds: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port ${options.port}: expected a port number from 0 to 65535`);
      const decodeSeconds = Number(options.decodeSeconds);
      if (!(decodeSeconds > 0 && decodeSeconds <= 600)) throw new UserError(`--decode-seconds ${options.decodeSeconds}: expected a number of seconds above 0 and at most 600`);
      const { startPredictionServer } = await import('./commands/serve.js');
      const server = await startPredictionServer(fromCaller(options.run), port, decodeSeconds);
      const invitation = { drawing: 'draw a digit or choose an image', image: 'choose an image', text: 'write a text' }[server.input];
      process.stdout.write(`${invitation} at ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(resolve));
      });
    });
}

function addDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('a live page on localhost: every run of the runs dir, curves of the selected runs, a sweep\'s parallel coordinates')
    .option('--runs-dir <dir>', 'the runs to show', 'runs')
    .option('--port <number>', 'the port (0: any free port)', '6006')
    .option('--host <address>', 'the address to listen on; anything but 127.0.0.1 lets whoever reaches it read every run', '127.0.0.1')
    .action(async (options: { runsDir: string; port: string; host: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port ${options.port}: expected a port number from 0 to 65535`);
      const { startDashboard } = await import('@specml/dashboard');
      const dashboard = await startDashboard({ runsDir: fromCaller(options.runsDir), port, host: options.host });
      if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
        process.stderr.write(`warning: listening on ${options.host}: anyone who can reach this machine on port ${new URL(dashboard.url).port} can read every run in ${options.runsDir} (read-only, no password)\n`);
      }
      process.stdout.write(`dashboard of ${options.runsDir} at ${dashboard.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void dashboard.close().then(resolve));
      });
    });
}

function addSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('write experiment.schema.json and the key reference in README.md from the schema')
    .option('--root <dir>', 'the repository root', '.')
    .action((options: { root: string }) => {
      writeFileSync(join(options.root, 'experiment.schema.json'), `${JSON.stringify(publishedSpecSchema(), null, 2)}\n`);
      const readme = join(options.root, 'README.md');
      writeFileSync(readme, withSpecReference(readFileSync(readme, 'utf8'), experimentSpecSchema));
      process.stdout.write('wrote experiment.schema.json and the spec reference in README.md\n');
    });
}

/** Runs the CLI and returns the exit code; every failure is reported here, once. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error);
  }
}

function report(thrown: unknown): number {
  const { error, runDir: errorRunDir } = runFailure(thrown);
  const runDir = errorRunDir === undefined ? undefined : forCaller(errorRunDir);
  const where = runDir ? `\nrun folder: ${runDir}` : '';
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? EXIT.ok : EXIT.userError; // commander has printed its message
  }
  if (isUserError(error)) {
    process.stderr.write([error.message, ...error.details].map((line) => `error: ${line}\n`).join(''));
    return EXIT.userError;
  }
  if (error instanceof TrainingDivergedError) {
    process.stderr.write(`error: ${error.message}: training diverged (try a lower optimizer.learningRate)${where}\n`);
    return EXIT.diverged;
  }
  if (error instanceof SweepIncompleteError) {
    const retry = error.retryable ? `; run the failed trials again with: npx nx run runner:exp --resume ${forCaller(error.sweepDir)} --retry-failed` : '';
    process.stderr.write(`error: ${error.message}${retry}\n`);
    return EXIT.sweepIncomplete;
  }
  if (error instanceof SweepInterruptedError) {
    const queue = error.onQueue ? queueResumeHint : '';
    if (error.cause instanceof QueueLostError) process.stderr.write(`error: ${error.cause.message}\n`);
    process.stderr.write(`${error.message}; continue the sweep with:\n  npx nx run runner:exp --resume ${forCaller(error.sweepDir)}${queue}\n`);
    return EXIT.interrupted;
  }
  if (error instanceof InterruptedError) {
    const resume = runDir ? `; continue it with: npx nx run runner:exp --resume ${runDir}` : '';
    process.stderr.write(`${error.message}: the run is marked interrupted${resume}${where}\n`);
    return EXIT.interrupted;
  }
  const fileSystem = fileSystemProblem(error);
  if (fileSystem) {
    process.stderr.write(`error: ${fileSystem}${where}\n`);
    return EXIT.userError;
  }
  // The stack went to the run's summary.json where the run got a folder; elsewhere there is none to point to.
  const details = errorRunDir !== undefined && existsSync(join(errorRunDir, 'summary.json')) ? ' (details in summary.json)' : '';
  process.stderr.write(`internal error: ${(error as Error)?.message ?? error}${details}${where}\n`);
  return EXIT.internal;
}

