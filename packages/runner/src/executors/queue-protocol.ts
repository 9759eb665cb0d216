import { readFileSync } from 'node:fs';
import { isPlainObject, isSafeName } from '@specml/data';
import type { EpochMetrics } from '@specml/trainer';
import type { TrialStatus } from './trial-executor.js';

// What coordinator and workers agree on: one BullMQ queue of trials, and a few Redis keys per job for what
// BullMQ does not carry (the trial's checkpoint, its finished run folder, early-stopping verdicts, a stop).

export const QUEUE_NAME = 'specml-trials';

/** This build's version: a job carries its coordinator's, and a worker of another version refuses it. */
export const SPECML_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/**
 * How fast a dead worker's trial moves on: the worker renews its lock every LOCK_MS / 2; a lock not renewed
 * for LOCK_MS is expired, and every STALLED_CHECK_MS each worker looks for expired ones and puts their jobs
 * back in the queue. So a SIGKILLed worker's trial restarts elsewhere within about 6 s. A trial stalls at most
 * MAX_STALLS times before it is marked failed.
 */
export const QUEUE_TIMINGS = { LOCK_MS: 4000, STALLED_CHECK_MS: 2000, MAX_STALLS: 5 } as const;

/**
 * How long a coordinator waits for a Redis it lost (unreachable, restarting) before it gives up and exits
 * with the command that resumes the sweep; SPECML_QUEUE_PATIENCE (seconds) changes it.
 */
export const DEFAULT_PATIENCE_SECONDS = 120;

/** How often a coordinator looks at each of its trials' jobs (events may be lost while Redis is away). */
export const JOB_CHECK_MS = 2000;

/** How long a worker waits for an early-stopping verdict before going on (the coordinator may be gone). */
export const VERDICT_WAIT_SECONDS = 60;
/** Checkpoints and run folders in Redis expire after a week: a sweep not collected by then is abandoned. */
export const KEPT_SECONDS = 7 * 24 * 3600;
/** The most a run folder (model, pictures, metrics) may weigh to travel through Redis. */
export const MAX_FOLDER_BYTES = 256 * 1024 * 1024;
const MAX_SPEC_BYTES = 1024 * 1024;
const MAX_OVERRIDES = 256;

/** A job's data: one trial, as plain data, and the version that sent it. */
export interface TrialJob {
  readonly version: string;
  readonly specText: string;
  readonly specFile: string;
  readonly overrides: readonly string[];
  readonly awaitVerdicts: boolean;
  /** The trial's run folder name, fixed by the coordinator. */
  readonly runId: string;
  /** The SHA-256 of the dataset the coordinator shipped (the user's own files), or null (a built-in dataset). */
  readonly dataset?: string | null;
  /** A sweep's refit of its chosen trial. */
  readonly refit?: boolean;
}

/** A job's result: how the trial ended; its run folder waits under redisKeys.folder. */
export interface TrialJobResult {
  readonly status: TrialStatus;
  readonly message: string;
  readonly runId: string | null;
  readonly worker: string;
}

export type TrialProgress = { readonly type: 'start'; readonly runId: string; readonly worker: string } | { readonly type: 'epoch'; readonly row: EpochMetrics; readonly worker: string };

export const redisKeys = {
  /** BullMQ's lock of an active job (default prefix): it holds the token of the worker that owns the job. */
  lock: (jobId: string) => `bull:${QUEUE_NAME}:${jobId}:lock`,
  /** The trial's run folder as of its last checkpoint (a hash of file → bytes): where a taken-over trial goes on. */
  checkpoint: (jobId: string) => `specml:checkpoint:${jobId}`,
  /** The finished run folder, until the coordinator has copied it. */
  folder: (jobId: string) => `specml:folder:${jobId}`,
  /** The verdict for one epoch of a trial that waits for them. */
  verdict: (jobId: string, epoch: number) => `specml:verdict:${jobId}:${epoch}`,
  /** Set by the coordinator to interrupt a trial. */
  stop: (jobId: string) => `specml:stop:${jobId}`,
};

/** Checks a job's data field by field (a job may have been written by anyone who can reach Redis). */
export function checkTrialJob(data: unknown): TrialJob {
  const job = data as Partial<TrialJob> | null;
  const problems: string[] = [];
  if (job === null || typeof job !== 'object' || Array.isArray(job)) throw new Error('the job data is not an object');
  const known = new Set(['version', 'specText', 'specFile', 'overrides', 'awaitVerdicts', 'runId', 'dataset', 'refit']);
  for (const key of Object.keys(job)) if (!known.has(key)) problems.push(`unknown key ${JSON.stringify(key).slice(0, 60)}`);
  if (typeof job.version !== 'string') problems.push('version must be a string');
  if (typeof job.specText !== 'string' || job.specText.length > MAX_SPEC_BYTES) problems.push(`specText must be a string of at most ${MAX_SPEC_BYTES} characters`);
  if (typeof job.specFile !== 'string' || job.specFile.length > 4096) problems.push('specFile must be a path');
  if (!Array.isArray(job.overrides) || job.overrides.length > MAX_OVERRIDES || job.overrides.some((override) => typeof override !== 'string' || override.length > 100_000)) {
    problems.push(`overrides must be a list of at most ${MAX_OVERRIDES} key=value strings`);
  }
  if (typeof job.awaitVerdicts !== 'boolean') problems.push('awaitVerdicts must be true or false');
  if (job.refit !== undefined && typeof job.refit !== 'boolean') problems.push('refit must be true or false');
  if (!isSafeName(job.runId)) problems.push('runId must be a plain folder name');
  if (job.dataset !== undefined && job.dataset !== null && !(typeof job.dataset === 'string' && /^[0-9a-f]{64}$/.test(job.dataset))) problems.push('dataset must be null or a SHA-256 in hex');
  if (problems.length > 0) throw new Error(`malformed job: ${problems.join(', ')}`);
  return job as TrialJob;
}

const TRIAL_STATUSES = new Set<string>(['running', 'completed', 'stopped', 'diverged', 'interrupted', 'failed', 'invalid']);
const MAX_MESSAGE = 4096;
const isShortString = (value: unknown, length: number): value is string => typeof value === 'string' && value.length <= length;

/**
 * A job's result as a worker stored it, checked field by field before the coordinator uses it (anyone who
 * reaches Redis can write one): the run id must be a plain folder name, never `..` or a path.
 */
export function checkTrialJobResult(value: unknown): TrialJobResult {
  if (!isPlainObject(value)) throw new Error('its result is not an object');
  const { status, message, runId, worker } = value;
  if (typeof status !== 'string' || !TRIAL_STATUSES.has(status)) throw new Error(`its result has an unknown status ${JSON.stringify(String(status).slice(0, 40))}`);
  if (runId !== null && !isSafeName(runId)) throw new Error(`its result names run ${JSON.stringify(String(runId).slice(0, 80))}, which is not a plain folder name`);
  if (!isShortString(message, MAX_MESSAGE) || !isShortString(worker, 300)) throw new Error('its result lacks a message or worker');
  return { status: status as TrialStatus, message, runId, worker };
}

/** A job's progress update, checked like a result; undefined for anything malformed (it is then ignored). */
export function checkTrialProgress(value: unknown): TrialProgress | undefined {
  if (!isPlainObject(value) || !isShortString(value.worker, 300)) return undefined;
  if (value.type === 'start') return isSafeName(value.runId) ? { type: 'start', runId: value.runId, worker: value.worker } : undefined;
  if (value.type !== 'epoch' || !isPlainObject(value.row)) return undefined;
  const row = value.row;
  if (!Number.isInteger(row.epoch) || (row.epoch as number) < 0 || (row.epoch as number) > 1_000_000) return undefined;
  if (!Object.values(row).every((cell) => cell === undefined || typeof cell === 'number')) return undefined;
  if (typeof row.test_loss !== 'number' || (typeof row.test_accuracy !== 'number' && typeof row.test_rmse !== 'number')) return undefined;
  return { type: 'epoch', row: row as unknown as EpochMetrics, worker: value.worker };
}
