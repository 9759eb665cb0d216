import { summaryIfReadable, type RunStatus, type RunSummary } from '@specml/reporter';
import type { EpochMetrics, EpochVerdict } from '@specml/trainer';

/**
 * One trial of a sweep, as plain data that can travel to another process (or machine): the base spec,
 * resolved (defaults filled, the sweep block removed), and the overrides that make it this trial.
 */
export interface TrialRequest {
  /** Stable for the sweep and trial, e.g. "<sweep id>-3". */
  readonly id: string;
  /** The resolved base spec, as YAML. */
  readonly specText: string;
  /** Where that spec came from, for messages and the run's summary. */
  readonly specFile: string;
  readonly overrides: readonly string[];
  readonly runsDir: string;
  /** Whether the trial waits after each epoch for onEpoch's verdict (early stopping). */
  readonly awaitVerdicts?: boolean;
  /** An unfinished run folder of this trial to continue from its checkpoint (a resumed sweep). */
  readonly resumeRunDir?: string;
  /** The trial's run folder name (fixed per sweep and trial, so that a trial never gets two folders). */
  readonly runId?: string;
  /** Train on this shipped dataset (see dataset-shipping.ts) instead of reading the spec's data files. */
  readonly datasetHash?: string;
  /** Set by a queue worker: the trial reads no data file of this machine, only the shipped dataset (or a built-in one). */
  readonly onlyShippedData?: boolean;
  /** A sweep's refit of its chosen trial (its summary.json says so). */
  readonly refit?: boolean;
}

export type TrialStatus = RunStatus | 'invalid';

/** How a trial ended, with its run folder and summary where it got that far. */
export interface TrialOutcome {
  readonly status: TrialStatus;
  readonly runDir: string | null;
  readonly summary: RunSummary | null;
  /** Why it did not complete (one line), or ''. */
  readonly message: string;
  /** The host that ran it, where that is not this machine. */
  readonly worker?: string;
}

export interface TrialEvents {
  /** The trial has its run folder (new, or the one it resumes) and is training. */
  onStart?(runDir: string): void;
  /** An epoch's row is in the trial's metrics.csv; 'stop' ends the trial there (with awaitVerdicts). `worker`: where it runs, if not here. */
  onEpoch?(row: EpochMetrics, worker?: string): EpochVerdict | void | Promise<EpochVerdict | void>;
  /** The trial's checkpoint of an epoch is on disk in its run folder. */
  onCheckpoint?(epoch: number): void | Promise<void>;
}

/**
 * Where trials run: the one seam between a sweep and its workers (Hydra's Launcher). A trial goes in,
 * epoch rows come out while it trains, and its outcome at the end; aborting `signal` stops it as
 * interrupted (its checkpoint kept) and resolves with that outcome.
 */
export interface TrialExecutor {
  readonly slots: number;
  /** Whether trials outlive this process (a queue): then a sweep's identity comes from its content, and starting it again reattaches. */
  readonly durable?: boolean;
  run(request: TrialRequest, events: TrialEvents, signal: AbortSignal): Promise<TrialOutcome>;
  /** Releases what the executor holds between trials (idle worker processes, connections). */
  close(): void | Promise<void>;
}

/** A trial's summary where it has a readable one (it may have died before writing it, or mid-write). */
export function readTrialSummary(runDir: string | null): RunSummary | null {
  return runDir ? summaryIfReadable(runDir) : null;
}
