import { datasetShipper } from './dataset-shipping.js';
import { join } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { checkedName, removeInside, renameInside } from '@specml/data';
import { downloadFolder, uploadFolder } from './folder-transfer.js';
import { checkTrialJobResult, checkTrialProgress, DEFAULT_PATIENCE_SECONDS, JOB_CHECK_MS, KEPT_SECONDS, QUEUE_NAME, redisKeys, SPECML_VERSION, type TrialJob, type TrialJobResult, type TrialProgress } from './queue-protocol.js';
import type { RedisAddress } from './redis-address.js';
import { answerWithin, connectRedis, reportConnection } from './redis-connection.js';
import { newRunId } from '../run/run-folder.js';
import { readTrialSummary, type TrialEvents, type TrialExecutor, type TrialOutcome, type TrialRequest } from './trial-executor.js';

/** After asking a running trial to stop, how long to wait for its interrupted run folder. */
const STOP_WAIT_MS = 30_000;

/** What a trial in flight listens for: its job's progress, and its end; and how to add its job again. */
interface JobWatch {
  /** Whether its job has been added and is not being collected (before and after, its absence from Redis means nothing: shipping its data takes a while; collecting removes it). */
  queued(): boolean;
  progress(update: TrialProgress): void;
  ended(): void;
  /** Its job vanished (Redis restarted empty): add it again. */
  requeue(): Promise<void>;
  /** The coordinator gives up on Redis: the trial ends here as interrupted (it resumes with the sweep). */
  abandon(message: string): void;
}

export interface QueuePatience {
  /** How long Redis may be away before the coordinator gives up (default DEFAULT_PATIENCE_SECONDS). */
  readonly seconds: number;
  /** Called once when it gives up, with the reason: the caller stops the sweep, which then says how to resume. */
  readonly onGiveUp: (reason: string) => void;
}

/**
 * Trials as BullMQ jobs on Redis, run by `specml worker` processes on any machine that reaches it; the
 * coordinator shares no filesystem with them. A job's id is the trial's (the sweep's identity and the
 * trial's index), so adding it again (a coordinator started again) attaches to the job that exists instead
 * of running the trial twice. Epoch rows arrive as job progress; the finished run folder arrives through
 * Redis and is written to the coordinator's runs dir in the usual layout.
 */
export class QueueExecutor implements TrialExecutor {
  /** Trials outlive this process: a sweep's identity comes from its content, so running it again reattaches. */
  readonly durable = true;
  private readonly watches = new Map<string, JobWatch>();
  /** When Redis stopped answering (undefined while it answers). */
  private lostSince: number | undefined;
  private gaveUp = false;
  /** Whether a check of the jobs is under way (a paused Redis must not pile them up). */
  private checking = false;
  private readonly checker: NodeJS.Timeout;
  /** Puts a trial's own data (image folder, CSV table) into Redis for workers that lack the files. */
  private readonly shipDataset: ReturnType<typeof datasetShipper>;

  private constructor(
    readonly slots: number,
    private readonly address: RedisAddress,
    private readonly connection: Redis,
    private readonly queue: Queue,
    private readonly queueEvents: QueueEvents,
    /** QueueEvents blocks on its connection, so it has one of its own. */
    private readonly eventsConnection: Redis,
    private readonly patience: QueuePatience | undefined,
  ) {
    this.shipDataset = datasetShipper(connection);
    // Progress comes from whoever can write to Redis: a malformed update is ignored, never trusted.
    queueEvents.on('progress', ({ jobId, data }) => {
      const update = checkTrialProgress(data);
      if (update) this.watches.get(jobId)?.progress(update);
    });
    queueEvents.on('completed', ({ jobId }) => this.watches.get(jobId)?.ended());
    queueEvents.on('failed', ({ jobId }) => this.watches.get(jobId)?.ended());
    // BullMQ reports its connections' troubles here; reportConnection has told the person already.
    queue.on('error', () => {});
    queueEvents.on('error', () => {});
    this.checker = setInterval(() => void this.checkJobs(), JOB_CHECK_MS);
  }

  /** Connects (or says why it cannot, within seconds); `slots`: how many trials may be queued or running at once. */
  static async connect(address: RedisAddress, slots: number, patience?: QueuePatience): Promise<QueueExecutor> {
    const connection = await connectRedis(address);
    const queue = new Queue(QUEUE_NAME, { connection });
    const eventsConnection = reportConnection(connection.duplicate(), address, true);
    const queueEvents = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
    await Promise.all([queue.waitUntilReady(), queueEvents.waitUntilReady()]);
    if ((await queue.getWorkersCount()) === 0) {
      process.stdout.write(`no worker is connected to ${address.shown} yet: trials wait in the queue until one starts (npx specml worker --queue-file <file>, on any machine)\n`);
    }
    return new QueueExecutor(slots, address, connection, queue, queueEvents, eventsConnection, patience);
  }

  /**
   * Every JOB_CHECK_MS: does Redis answer, and is each trial's job still there? Events can be lost while
   * Redis is away, and a Redis restarted empty has lost the jobs themselves: an ended job is collected, a
   * vanished one is added again (its trial starts over, or from a checkpoint this coordinator holds). Redis
   * silent for longer than the patience: the coordinator gives up, and the sweep says how to resume.
   */
  private async checkJobs(): Promise<void> {
    if (this.checking || this.gaveUp) return;
    this.checking = true;
    try {
      // Every call is bounded, not only the ping: a command sent just before Redis went away waits for it
      // for ever (ioredis sends it again on reconnection), and a check that never ends never gives up.
      await answerWithin(this.connection.ping(), JOB_CHECK_MS);
      for (const [jobId, watch] of [...this.watches]) {
        if (!watch.queued()) continue;
        const job = await answerWithin(Job.fromId(this.queue, jobId), JOB_CHECK_MS);
        if (!job) {
          process.stderr.write(`warning: the job of trial ${jobId} is no longer in Redis (was Redis restarted without its data?): queued again\n`);
          // Not awaited: shipping its data again may take longer than a check (and a failure is retried by the next one).
          void watch.requeue().catch(() => undefined);
        } else if (['completed', 'failed'].includes(await answerWithin(job.getState(), JOB_CHECK_MS))) watch.ended();
      }
      // Only a whole check answered counts: a Redis that answers pings but not the queue's scripts is no use.
      if (this.lostSince !== undefined) process.stderr.write(`Redis at ${this.address.shown} answers again after ${((Date.now() - this.lostSince) / 1000).toFixed(0)} s; the sweep goes on\n`);
      this.lostSince = undefined;
    } catch {
      this.stillLost();
    } finally {
      this.checking = false;
    }
  }

  private stillLost(): void {
    const now = Date.now();
    if (this.lostSince === undefined) {
      this.lostSince = now;
      process.stderr.write(`warning: Redis at ${this.address.shown} does not answer; waiting up to ${this.patienceSeconds} s for it (the trials go on on their workers)\n`);
    } else if (now - this.lostSince > this.patienceSeconds * 1000) {
      this.gaveUp = true;
      const reason = `Redis at ${this.address.shown} did not answer for ${this.patienceSeconds} s`;
      for (const watch of [...this.watches.values()]) watch.abandon(reason);
      this.patience?.onGiveUp(reason);
    }
  }

  private get patienceSeconds(): number {
    return this.patience?.seconds ?? DEFAULT_PATIENCE_SECONDS;
  }

  run(request: TrialRequest, events: TrialEvents, signal: AbortSignal): Promise<TrialOutcome> {
    const jobId = request.id;
    if (this.gaveUp) return Promise.resolve({ status: 'interrupted', runDir: null, summary: null, message: 'not queued: Redis is gone' });
    const name = String((parseYaml(request.specText) as { name?: unknown }).name);
    let settled = false;
    let collecting = false;
    let queued = false;
    /** Adds the job; until the attempt is over its absence from Redis means nothing (see JobWatch.queued). */
    const enqueue = async () => {
      queued = false;
      try {
        return await this.enqueue(request);
      } finally {
        // Also after a failed attempt to add it again: the next check looks for it, and adds it again.
        queued = true;
      }
    };
    return new Promise<TrialOutcome>((resolve) => {
      const finish = (outcome: TrialOutcome) => {
        if (settled) return;
        settled = true;
        this.watches.delete(jobId);
        signal.removeEventListener('abort', stop);
        resolve(outcome);
      };
      const fail = (error: unknown) => finish({ status: 'failed', runDir: null, summary: null, message: `the queue: ${(error as Error).message}` });
      const relayEpoch = this.epochRelay(request, events, fail);
      this.watches.set(jobId, {
        // A trial being collected has its job removed on purpose: its absence is no news (seen under load: a
        // check between the removal and the end reported the job gone and "queued again", which requeue then skipped).
        queued: () => queued && !collecting && !settled,
        progress: (update) => {
          if (update.type === 'start') events.onStart?.(join(request.runsDir, name, update.runId));
          else relayEpoch(update);
        },
        ended: () => {
          // Once: the end event and the periodic check may both report it.
          if (collecting) return;
          collecting = true;
          void this.collect(jobId, request.runsDir, name).then(finish, fail);
        },
        // Not for a trial that has ended here or is being stopped (its job was removed on purpose).
        requeue: async () => void (collecting || settled || signal.aborted || (await enqueue())),
        abandon: (message) => finish({ status: 'interrupted', runDir: null, summary: null, message }),
      });
      const stop = () => void this.stop(jobId).then((removed) => {
        if (removed) finish({ status: 'interrupted', runDir: null, summary: null, message: 'stopped before it started' });
        else setTimeout(() => finish({ status: 'interrupted', runDir: null, summary: null, message: 'no answer from its worker' }), STOP_WAIT_MS).unref();
      }, fail);
      signal.addEventListener('abort', stop, { once: true });
      void enqueue().then(async (job) => {
        const state = await job.getState();
        if (state === 'completed' || state === 'failed') this.watches.get(jobId)?.ended();
        if (signal.aborted) stop();
      }).catch(fail);
    });
  }

  /**
   * Hands a trial's epoch rows, as its job reports them, to the sweep once each; with awaitVerdicts, sends the
   * sweep's verdict on each epoch back to the worker. A worker that took the trial over repeats the epochs
   * after the last checkpoint: they get the verdicts given before.
   */
  private epochRelay(request: TrialRequest, events: TrialEvents, fail: (error: unknown) => void) {
    const given = new Map<number, 'continue' | 'stop'>();
    let lastEpoch = -1;
    const answer = (epoch: number, verdict: 'continue' | 'stop') => {
      const key = redisKeys.verdict(request.id, epoch);
      return this.connection.multi().del(key).rpush(key, verdict).expire(key, KEPT_SECONDS).exec();
    };
    return ({ row, worker }: Extract<TrialProgress, { type: 'epoch' }>) => {
      if (row.epoch > lastEpoch) {
        lastEpoch = row.epoch;
        void Promise.resolve(events.onEpoch?.(row, worker)).then((verdict) => {
          const decided = verdict === 'stop' ? 'stop' : 'continue';
          given.set(row.epoch, decided);
          if (request.awaitVerdicts) return answer(row.epoch, decided);
        }).catch(fail);
      } else if (request.awaitVerdicts && given.has(row.epoch)) void answer(row.epoch, given.get(row.epoch)!).catch(fail);
    };
  }

  /** Adds the trial's job, or finds the one already there (a reattaching coordinator). */
  private async enqueue(request: TrialRequest): Promise<Job> {
    const existing = await Job.fromId(this.queue, request.id);
    if (existing) return existing;
    // A trial continued from a run folder of this coordinator: its checkpoint goes where workers look first.
    if (request.resumeRunDir) await uploadFolder(this.connection, redisKeys.checkpoint(request.id), request.resumeRunDir);
    await this.connection.del(redisKeys.stop(request.id));
    const dataset = await this.shipDataset(request);
    const data: TrialJob = { version: SPECML_VERSION, specText: request.specText, specFile: request.specFile, overrides: [...request.overrides], awaitVerdicts: request.awaitVerdicts ?? false, runId: request.runId ?? newRunId(), dataset, ...(request.refit ? { refit: true } : {}) };
    return this.queue.add('trial', data, { jobId: request.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
  }

  /** Asks the trial to stop: removed while still waiting (true), or interrupted by its worker at its next check. */
  private async stop(jobId: string): Promise<boolean> {
    await this.connection.set(redisKeys.stop(jobId), '1', 'EX', KEPT_SECONDS);
    const job = await Job.fromId(this.queue, jobId);
    if (!job || (await job.getState()) !== 'waiting') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // a worker took it just now: it will see the stop
    }
  }

  /** An ended job's outcome, with its run folder copied from Redis into the runs dir; then the job is removed. */
  private async collect(jobId: string, runsDir: string, name: string): Promise<TrialOutcome> {
    const job = await Job.fromId<TrialJob, TrialJobResult>(this.queue, jobId);
    if (!job) return { status: 'failed', runDir: null, summary: null, message: 'its job vanished from the queue' };
    if ((await job.getState()) === 'failed') {
      await job.remove();
      const refused = job.failedReason.startsWith('refused by worker');
      return { status: refused ? 'invalid' : 'failed', runDir: null, summary: null, message: job.failedReason };
    }
    let result: TrialJobResult;
    try {
      result = checkTrialJobResult(job.returnvalue);
    } catch (error) {
      await job.remove();
      return { status: 'failed', runDir: null, summary: null, message: `refused the result of job ${jobId}: ${(error as Error).message}` };
    }
    let runDir: string | null = null;
    if (result.runId) {
      // Where the folder goes is decided here (this sweep's experiment name) and checked: a worker's summary cannot move it.
      const incoming = join(runsDir, '.incoming', checkedName(jobId, 'the job id'));
      removeInside(runsDir, incoming);
      if (await downloadFolder(this.connection, redisKeys.folder(jobId), incoming)) {
        runDir = join(runsDir, checkedName(name, 'the experiment name'), result.runId);
        renameInside(runsDir, incoming, runDir);
      }
    }
    await this.connection.del(redisKeys.folder(jobId));
    await job.remove();
    return { status: result.status, runDir, summary: readTrialSummary(runDir), message: result.message, worker: result.worker };
  }

  async close(): Promise<void> {
    clearInterval(this.checker);
    // A Redis that is gone cannot take a polite goodbye: the connections are dropped, and BullMQ's own
    // closing (which waits for Redis) is given a moment, no more.
    if (this.gaveUp) {
      this.eventsConnection.disconnect();
      this.connection.disconnect();
      const closing = Promise.all([this.queueEvents.close(), this.queue.close()]).catch(() => undefined);
      await Promise.race([closing, new Promise((wake) => setTimeout(wake, 1000).unref())]);
      return;
    }
    await Promise.all([this.queueEvents.close(), this.queue.close()]);
    // BullMQ leaves connections it was given open.
    this.eventsConnection.disconnect();
    await this.connection.quit();
  }
}
