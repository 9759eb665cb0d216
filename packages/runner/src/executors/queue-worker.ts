import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { fetchShippedDataset } from './dataset-shipping.js';
import { checkedName, isUserError, readsUserFiles, removeInside, renameInside } from '@specml/data';
import { summaryIfReadable, writeRunSummary } from '@specml/reporter';
import { loadSpecText } from '../spec/load-spec.js';
import { checkSpec } from '../spec/semantic-checks.js';
import { downloadFolder, uploadFolder } from './folder-transfer.js';
import { LocalPoolExecutor } from './local-pool.js';
import { checkTrialJob, QUEUE_NAME, QUEUE_TIMINGS, redisKeys, SPECML_VERSION, VERDICT_WAIT_SECONDS, type TrialJobResult, type TrialProgress } from './queue-protocol.js';
import type { RedisAddress } from './redis-address.js';
import { connectRedis } from './redis-connection.js';
import type { TrialEvents, TrialOutcome } from './trial-executor.js';

export interface QueueWorkerOptions {
  readonly address: RedisAddress;
  /** Trials at a time, each in its own process. */
  readonly concurrency: number;
  /** Where trials run on this machine; their folders are removed once sent. */
  readonly workDir: string;
  /** The first abort finishes the running trials and ends; the caller exits at the second. */
  readonly signal: AbortSignal;
}

/** How often a running trial checks whether its coordinator asked it to stop. */
const STOP_CHECK_MS = 500;

/**
 * A long-lived worker: pulls trials from the queue and runs each exactly as a local sweep does (in a child
 * process of the local pool, so that BullMQ's lock renewal in this process never waits on training). While a
 * trial trains, its epoch rows go to the coordinator as job progress and its folder as of each checkpoint to
 * Redis, where another worker continues it if this one dies. At the end the run folder goes to Redis for
 * the coordinator to copy, and the local copy is removed.
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const connection = await connectRedis(options.address);
  const name = `${hostname()}/${process.pid}`;
  // Trial processes start as jobs arrive (never more than the concurrency), and none once the worker stops.
  const pool = new LocalPoolExecutor(options.concurrency);
  const runsDir = join(options.workDir, 'runs');
  mkdirSync(runsDir, { recursive: true });
  // A job whose lock could not be renewed (Redis paused or restarted) may already be another worker's.
  const lockLost = new Map<string, AbortController>();
  const worker = new Worker<unknown, TrialJobResult>(QUEUE_NAME, (job, token, abort) => runJob(job as Job<unknown, TrialJobResult>, token ?? '', { connection, pool, runsDir, name, abort, lockLost }), {
    connection,
    concurrency: options.concurrency,
    lockDuration: QUEUE_TIMINGS.LOCK_MS,
    stalledInterval: QUEUE_TIMINGS.STALLED_CHECK_MS,
    maxStalledCount: QUEUE_TIMINGS.MAX_STALLS,
    name,
  });
  worker.on('error', (error) => warn(describeWorkerError(error)));
  worker.on('lockRenewalFailed', (jobIds: string[]) => jobIds.forEach((jobId) => lockLost.get(jobId)?.abort()));
  worker.on('failed', (job, error) => job && process.stdout.write(`trial ${job.id}: failed: ${error.message}\n`));
  await worker.waitUntilReady();
  process.stdout.write(`worker ${name}: waiting for trials on ${options.address.shown} (${options.concurrency} at a time, work dir ${options.workDir}; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => (options.signal.aborted ? resolve() : options.signal.addEventListener('abort', () => resolve(), { once: true })));
  process.stdout.write(`worker ${name}: stopping after the running trials (Ctrl-C again to leave now: they go on elsewhere from their checkpoints)\n`);
  pool.close();
  await worker.close();
  await connection.quit();
}

interface JobContext {
  readonly connection: Redis;
  readonly pool: LocalPoolExecutor;
  readonly runsDir: string;
  readonly name: string;
  readonly abort?: AbortSignal;
  readonly lockLost: Map<string, AbortController>;
}

/** Thrown where a worker finds its job is no longer its own: nothing of the trial is sent, the new owner goes on. */
class LockLostError extends Error {}

async function runJob(job: Job<unknown, TrialJobResult>, token: string, context: JobContext): Promise<TrialJobResult> {
  // The id names a folder here: anything but a plain name (`../../victim`) is refused before it is used.
  const jobId = refusing(() => checkedName(job.id, 'the job id'), context.name);
  const request = checkedRequest(job.data, context.name);
  if (request.dataset) await refusingAsync(() => fetchShippedDataset(context.connection, request.dataset!), context.name);
  const checkpoint = await takeOverCheckpoint(context.connection, jobId, context.runsDir, context.name);
  const resumeRunDir = checkpoint?.dir;
  const what = request.overrides.length > 0 ? ` (${request.overrides.join(' ')})` : '';
  process.stdout.write(`trial ${jobId}${what}: started${checkpoint ? ` from its checkpoint after epoch ${checkpoint.epoch}` : ''}\n`);

  const stop = new AbortController();
  context.abort?.addEventListener('abort', () => stop.abort(), { once: true });
  const lock = jobLock(context, jobId, token, stop);
  const stopCheck = setInterval(() => void context.connection.exists(redisKeys.stop(jobId)).then((set) => set && stop.abort(), () => {}), STOP_CHECK_MS);
  const verdicts = request.awaitVerdicts ? context.connection.duplicate() : undefined;
  verdicts?.on('error', () => {}); // its errors are the main connection's, reported there once
  const events = trialEvents(job, jobId, context, lock, verdicts, resumeRunDir ?? null);
  let outcome: TrialOutcome;
  try {
    outcome = await context.pool.run(
      { id: jobId, specText: request.specText, specFile: request.specFile, overrides: request.overrides, runsDir: context.runsDir, awaitVerdicts: request.awaitVerdicts, resumeRunDir, runId: request.runId, datasetHash: request.dataset ?? undefined, onlyShippedData: true, refit: request.refit },
      events.handlers,
      stop.signal,
    );
  } finally {
    clearInterval(stopCheck);
    verdicts?.disconnect();
    context.lockLost.delete(jobId);
  }
  await events.uploads();
  return sendResult(jobId, outcome, context, lock);
}

/**
 * Exactly once: a worker trains a trial only while the job's lock holds its token. It checks before every
 * epoch and every upload (and BullMQ tells it when a renewal failed); a worker that lost the job (Redis
 * paused past the lock's life, or restarted empty) stops and sends nothing.
 */
function jobLock(context: JobContext, jobId: string, token: string, stop: AbortController) {
  const guard = { lockKey: redisKeys.lock(jobId), token };
  const lost = new AbortController();
  context.lockLost.set(jobId, lost);
  lost.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const owns = async () => {
    if (lost.signal.aborted) return false;
    const owned = await context.connection.get(guard.lockKey).then((holder) => holder === token, () => false);
    if (!owned) lost.abort();
    return owned;
  };
  return { guard, lost, owns };
}

/** What the trial tells the coordinator while it trains: its start, each epoch (waiting for early stopping's verdict), each checkpoint's folder. */
function trialEvents(job: Job<unknown, TrialJobResult>, jobId: string, context: JobContext, lock: ReturnType<typeof jobLock>, verdicts: Redis | undefined, resumeRunDir: string | null) {
  let runDir = resumeRunDir;
  let uploads = Promise.resolve();
  // Progress is news for the coordinator, never a reason to fail: a job that vanished (Redis restarted) rejects it.
  const progress = (update: TrialProgress) => job.updateProgress(update as unknown as object).catch(() => undefined);
  const handlers: TrialEvents = {
    onStart: (dir) => {
      runDir = dir;
      void progress({ type: 'start', runId: basename(dir), worker: context.name });
    },
    onEpoch: async (row) => {
      if (!(await lock.owns())) return undefined; // the stop signal interrupts it
      await progress({ type: 'epoch', row, worker: context.name });
      if (!verdicts) return undefined;
      const answer = await verdicts.blpop(redisKeys.verdict(jobId, row.epoch), VERDICT_WAIT_SECONDS).catch(() => null);
      return answer?.[1] === 'stop' ? 'stop' : 'continue';
    },
    // The folder as of this checkpoint is where another worker goes on if this one dies.
    onCheckpoint: () => {
      const dir = runDir;
      if (!dir) return;
      uploads = uploads
        .then(() => uploadFolder(context.connection, redisKeys.checkpoint(jobId), dir, lock.guard))
        .then((sent) => void (sent || lock.lost.abort()))
        .catch((error) => void warn(`checkpoint of trial ${jobId} not sent: ${error.message}`));
    },
  };
  return { handlers, uploads: () => uploads };
}

/** Sends the trial's folder and result while the lock is still this worker's; a lost lock sends nothing and leaves the trial to its new owner. */
async function sendResult(jobId: string, outcome: TrialOutcome, context: JobContext, lock: ReturnType<typeof jobLock>): Promise<TrialJobResult> {
  // An interrupted trial keeps its checkpoint in Redis, to go on from there; an ended one needs it no more.
  const ended = outcome.status !== 'interrupted' && outcome.status !== 'failed';
  let sent = false;
  if (outcome.runDir !== null && (await lock.owns())) {
    recordWorker(outcome.runDir, context.name);
    sent = await uploadFolder(context.connection, redisKeys.folder(jobId), outcome.runDir, lock.guard, ended ? [redisKeys.checkpoint(jobId)] : []);
  }
  if (outcome.runDir) removeInside(context.runsDir, outcome.runDir);
  if (lock.lost.signal.aborted || (outcome.runDir !== null && !sent)) {
    process.stdout.write(`trial ${jobId}: no longer this worker's (its lock lapsed while Redis was away): left to the worker that took it over\n`);
    throw new LockLostError(`trial ${jobId} was taken over by another worker`);
  }
  process.stdout.write(`trial ${jobId}: ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}\n`);
  return { status: outcome.status, message: outcome.message, runId: outcome.runDir ? basename(outcome.runDir) : null, worker: context.name };
}

/**
 * A job's trial, checked before anything runs: the data's shape, the version that sent it, and the spec
 * against the schema and the model's rules. A refused job fails at once (never retried) with the reason.
 */
function checkedRequest(data: unknown, worker: string) {
  const request = refusing(() => checkTrialJob(data), worker);
  if (request.version !== SPECML_VERSION) {
    throw new UnrecoverableError(`refused by worker ${worker}: it runs specml ${SPECML_VERSION}, the job comes from specml ${request.version}; run the same version on both`);
  }
  try {
    const loaded = loadSpecText(request.specText, request.specFile, request.overrides);
    checkSpec(loaded);
    // A job's data come shipped through Redis or built in: this worker never reads a file of its own disk for one.
    if (readsUserFiles(loaded.spec.data) && !request.dataset) {
      throw new UnrecoverableError(`refused by worker ${worker}: its data (dataset ${loaded.spec.data.dataset}) name files, and a worker reads no file of its own disk for a job: they must come shipped by the sweep's coordinator`);
    }
  } catch (error) {
    if (error instanceof UnrecoverableError) throw error;
    if (!isUserError(error)) throw error;
    throw new UnrecoverableError(`refused by worker ${worker}: invalid trial: ${[error.message, ...error.details].join('; ')}`);
  }
  return request;
}

/** A job refused for what it holds: failed at once (never retried), with the reason and who refused it. */
function refusing<T>(check: () => T, worker: string): T {
  try {
    return check();
  } catch (error) {
    throw new UnrecoverableError(`refused by worker ${worker}: ${(error as Error).message}`);
  }
}

async function refusingAsync(check: () => Promise<void>, worker: string): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw new UnrecoverableError(`refused by worker ${worker}: ${(error as Error).message}`);
  }
}

/**
 * The trial's folder as of its last checkpoint, from Redis, in this worker's runs dir; undefined if it has
 * none. The folder's own summary names where it goes, so its name and run id are checked like the job id.
 */
async function takeOverCheckpoint(connection: Redis, jobId: string, runsDir: string, worker: string): Promise<{ dir: string; epoch: number } | undefined> {
  const incoming = join(runsDir, '.incoming', jobId);
  removeInside(runsDir, incoming);
  if (!(await downloadFolder(connection, redisKeys.checkpoint(jobId), incoming))) return undefined;
  const summary = summaryIfReadable(incoming);
  const dir = refusing(() => {
    if (!summary) throw new Error(`the checkpoint of ${jobId} in Redis has no readable summary.json`);
    return join(runsDir, checkedName(summary.name, 'its checkpoint\'s experiment name'), checkedName(summary.runId, 'its checkpoint\'s run id'));
  }, worker);
  renameInside(runsDir, incoming, dir);
  return { dir, epoch: summary!.epochsCompleted };
}

function recordWorker(runDir: string, worker: string): void {
  const summary = summaryIfReadable(runDir);
  if (summary) writeRunSummary(runDir, { ...summary, worker });
}

const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);

/**
 * BullMQ's errors in words a person can act on. "Missing key/lock for job X. moveToFinished" comes when a
 * trial ends after Redis lost its data (restarted empty) or gave the job to another worker: nothing is
 * wrong with this worker, and the coordinator queues a lost trial again.
 */
export function describeWorkerError(error: Error): string {
  const missing = /^Missing (key|lock) for job (\S+?)\.? (\w+)$/.exec(error.message);
  if (!missing) return error.message;
  const why = missing[1] === 'key' ? 'is no longer in Redis (its data were lost, e.g. a restart without persistence)' : 'is no longer locked by this worker (another worker took it over)';
  return `trial ${missing[2]} ${why}: its end was not recorded here; the coordinator runs a lost trial again`;
}
