import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isPlainObject, isSafeName, readRegularFile, UserError } from '@specml/data';
import { RUN_FILES } from './run-files.js';
import type { RunStatus } from './run-status.js';

// A sweep folder, `<runs-dir>/<name>/sweep-<id>/`, is the sweep's identity: sweep.yaml (the resolved spec
// with its sweep block in full form, what a resume checks changes against), spec.written.yaml (the spec
// file's text as the person wrote it: each trial is that text, the sweep's --set options and the trial's
// values, exactly as `exp` with --set would run it), sweep.json (every
// trial's values, state and run id, what a resume and the dashboard read) and sweep.csv (the same for
// people and spreadsheets). The trials' run folders sit beside it, `<runs-dir>/<name>/<run-id>/`, so that
// they are ordinary runs for the index, compare and the dashboard.

export const SWEEP_FILES = { spec: 'sweep.yaml', state: 'sweep.json', csv: 'sweep.csv', written: 'spec.written.yaml' } as const;

/** A trial's state: a run's status once it has a run folder, `invalid` if its spec was refused. */
export type TrialState = RunStatus | 'invalid' | 'not started';

export interface SweepTrialRecord {
  readonly index: number;
  /** The swept key paths' values, e.g. { "optimizer.learningRate": 0.001 }. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The same as --set options. */
  readonly overrides: readonly string[];
  readonly state: TrialState;
  /** Its run folder's name beside the sweep folder, once it has one. */
  readonly runId: string | null;
  /** The sweep's metric at its last epoch (null while unknown, or where it did not finish). */
  readonly metric: number | null;
  readonly epochs: number;
  /** Why it did not complete (one line), or ''. */
  readonly message: string;
  /** The host that ran it, where that was not this machine (queue workers). */
  readonly worker?: string;
}

export type SweepState = 'running' | 'completed' | 'incomplete' | 'interrupted';

export interface SweepRecord {
  readonly name: string;
  readonly sweepId: string;
  /** The spec file the sweep was started from; its text as written is kept beside, in spec.written.yaml. */
  readonly specFile: string;
  /** The --set options the sweep was started with: each trial is that file, these, and its own values. */
  readonly baseOverrides?: readonly string[];
  /** The search method's name (the runner's registry says which exist). */
  readonly method: string;
  /** The swept key paths, in the order of the spec. */
  readonly keys: readonly string[];
  readonly metric: { readonly name: string; readonly goal: 'maximize' | 'minimize' };
  readonly trialCount: number;
  readonly state: SweepState;
  readonly startedAt: string;
  /** Trials proposed so far, by index (a Bayesian search proposes as it goes). */
  readonly trials: readonly SweepTrialRecord[];
  /** The chosen trial's settings trained again on training + validation rows (sweep.refit), once it has started. */
  readonly refit?: SweepRefitRecord;
  /** The coordinating process's own peak resident memory so far, in MiB (its trials' processes not counted). */
  readonly peakRssMiB?: number;
}

/** A sweep's refit: the chosen trial, the epochs it trains (that trial's best validation epoch), its run and how it ended. */
export interface SweepRefitRecord {
  readonly fromTrial: number;
  readonly epochs: number;
  readonly runId: string;
  readonly state: TrialState;
  /** Why it did not complete (one line), or ''. */
  readonly message: string;
}

const TRIAL_STATES = new Set<string>(['running', 'completed', 'stopped', 'diverged', 'interrupted', 'failed', 'invalid', 'not started']);

/** Whether a folder is a sweep folder (it holds sweep.json). */
export function isSweepFolder(dir: string): boolean {
  return existsSync(join(dir, SWEEP_FILES.state));
}

/** A trial's run folder: beside the sweep folder, in the experiment's folder. */
export function trialRunDir(sweepDir: string, runId: string): string {
  return join(dirname(sweepDir), runId);
}

/** A sweep folder's sweep.json, checked for what a resume and the pages rely on. */
export function readSweep(dir: string): SweepRecord {
  const path = join(dir, SWEEP_FILES.state);
  let record: Partial<SweepRecord> | null;
  try {
    record = JSON.parse(readRegularFile(path)) as Partial<SweepRecord> | null;
  } catch (error) {
    throw new UserError(`${path}: unreadable (${(error as Error).message.split('\n')[0]}); is ${dir} a sweep folder (runs/<name>/sweep-<id>)?`);
  }
  // Every field with the type the pages and a resume use it as: a run id names a folder beside this one,
  // never a path elsewhere.
  const refitValid = (refit: unknown) =>
    isPlainObject(refit) && Number.isInteger(refit.fromTrial) && Number.isInteger(refit.epochs) && isSafeName(refit.runId) && TRIAL_STATES.has(refit.state as string) && typeof refit.message === 'string';
  const trialValid = (trial: unknown) =>
    isPlainObject(trial) &&
    Number.isInteger(trial.index) &&
    TRIAL_STATES.has(trial.state as string) &&
    Array.isArray(trial.overrides) &&
    trial.overrides.every((override) => typeof override === 'string') &&
    isPlainObject(trial.values) &&
    (trial.runId === null || isSafeName(trial.runId)) &&
    (trial.metric === null || typeof trial.metric === 'number') &&
    Number.isInteger(trial.epochs) &&
    typeof trial.message === 'string' &&
    (trial.worker === undefined || typeof trial.worker === 'string');
  const valid =
    isPlainObject(record) &&
    typeof record.name === 'string' &&
    typeof record.sweepId === 'string' &&
    typeof record.specFile === 'string' &&
    (record.baseOverrides === undefined || (Array.isArray(record.baseOverrides) && record.baseOverrides.every((override) => typeof override === 'string'))) &&
    typeof record.method === 'string' &&
    Array.isArray(record.keys) &&
    record.keys.every((key) => typeof key === 'string') &&
    isPlainObject(record.metric) &&
    typeof record.metric.name === 'string' &&
    (record.metric.goal === 'maximize' || record.metric.goal === 'minimize') &&
    Number.isInteger(record.trialCount) &&
    typeof record.state === 'string' &&
    typeof record.startedAt === 'string' &&
    Array.isArray(record.trials) &&
    record.trials.every(trialValid) &&
    (record.refit === undefined || refitValid(record.refit)) &&
    (record.peakRssMiB === undefined || (typeof record.peakRssMiB === 'number' && record.peakRssMiB >= 0));
  if (!valid) throw new UserError(`${path}: not a sweep record (a field is missing or of the wrong type: name, sweepId, method, keys, metric, trials)`);
  return record as SweepRecord;
}

/** The run folders of a sweep's trials that exist. */
export function sweepRunFolders(dir: string): string[] {
  return readSweep(dir)
    .trials.filter((trial) => trial.runId !== null)
    .map((trial) => trialRunDir(dir, trial.runId!))
    .filter((runDir) => existsSync(join(runDir, RUN_FILES.summary)));
}
