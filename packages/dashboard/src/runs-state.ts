import { existsSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { flattenSpec, isSweepFolder, readRun, readSweep, RUN_FILES, SWEEP_FILES, walkRunsDir, MAX_WALKED_FOLDERS, type MetricsRecord, type RunStatus, type RunSummary, type SweepRecord } from '@specml/reporter';

/** A run as the page shows it: its summary's fields, its spec flattened to key paths, its epoch rows. */
export interface RunView {
  /** `<name>/<run-id>`: its folder under the runs dir, and its id in the page. */
  readonly id: string;
  readonly name: string;
  readonly runId: string;
  readonly status: RunStatus;
  readonly epochs: number;
  readonly epochsCompleted: number;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly backend: string | null;
  readonly worker: string | null;
  readonly task: RunSummary['task'];
  readonly final: RunSummary['final'];
  readonly best: RunSummary['best'];
  /** A run of folds or repeats: each member's result (for whether two runs differ beyond the noise). */
  readonly members: NonNullable<RunSummary['members']> | null;
  readonly settings: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricsRecord[];
  /** The classes, from the image folders' names or the table's target column (the first SHOWN_CLASSES), and how many there are. */
  readonly classNames: readonly string[];
  readonly classCount: number;
  /** What shows the test predictions: a picture for images, a CSV of rows for a table. */
  readonly predictionsFile: (typeof RUN_FILES)['predictionsPicture' | 'predictions'];
}

/** The most class names the page gets per run (a dataset may have 256). */
const SHOWN_CLASSES = 12;

/** A sweep folder as the page shows it. */
export interface SweepView extends SweepRecord {
  /** `<name>/sweep-<id>`. */
  readonly id: string;
}

export interface StateChange {
  readonly runs: RunView[];
  readonly sweeps: SweepView[];
  /** Ids of runs and sweeps whose folders are gone. */
  readonly removed: string[];
}

/** The most run and sweep folders one dashboard follows (a runs dir beyond that shows its first ones). */
export const MAX_FOLDERS = MAX_WALKED_FOLDERS;

/**
 * What a runs dir holds, kept up to date by rescanning: a folder is read again only when the files it is
 * shown from (summary.json and metrics.csv, or sweep.json) changed size or time. Unreadable folders (half
 * written, foreign) are skipped until they become readable.
 */
export class RunsState {
  private readonly runs = new Map<string, { signature: string; view: RunView }>();
  private readonly sweeps = new Map<string, { signature: string; view: SweepView }>();

  constructor(readonly runsDir: string) {}

  snapshot(): { runs: RunView[]; sweeps: SweepView[] } {
    return { runs: [...this.runs.values()].map((entry) => entry.view), sweeps: [...this.sweeps.values()].map((entry) => entry.view) };
  }

  run(id: string): RunView | undefined {
    return this.runs.get(id)?.view;
  }

  sweep(id: string): SweepView | undefined {
    return this.sweeps.get(id)?.view;
  }

  /** Rescans the runs dir; returns what changed since the last time. */
  refresh(): StateChange {
    const change: StateChange = { runs: [], sweeps: [], removed: [] };
    const seen = new Set<string>();
    const { runs, sweeps } = walkRunsDir(this.runsDir, MAX_FOLDERS);
    for (const dir of [...runs, ...sweeps]) {
      const id = relative(this.runsDir, dir).split(sep).join('/');
      seen.add(id);
      if (isSweepFolder(dir)) {
        const signature = signatureOf(join(dir, SWEEP_FILES.state));
        if (this.sweeps.get(id)?.signature === signature) continue;
        try {
          const view = { ...readSweep(dir), id };
          this.sweeps.set(id, { signature, view });
          change.sweeps.push(view);
        } catch {
          // half written or foreign: looked at again next time
        }
        continue;
      }
      const signature = `${signatureOf(join(dir, RUN_FILES.summary))}|${signatureOf(join(dir, RUN_FILES.metrics))}`;
      if (signature.startsWith('none') || this.runs.get(id)?.signature === signature) continue;
      try {
        const view = runView(id, dir);
        this.runs.set(id, { signature, view });
        change.runs.push(view);
      } catch {
        // as above
      }
    }
    for (const map of [this.runs, this.sweeps] as Map<string, unknown>[]) {
      for (const id of map.keys()) {
        if (!seen.has(id)) {
          map.delete(id);
          change.removed.push(id);
        }
      }
    }
    return change;
  }

}

function runView(id: string, dir: string): RunView {
  const { summary, spec, metrics } = readRun(dir);
  return {
    id,
    name: summary.name,
    runId: summary.runId,
    status: summary.status,
    epochs: summary.epochs,
    epochsCompleted: summary.epochsCompleted,
    startedAt: summary.startedAt,
    durationSeconds: summary.durationSeconds,
    backend: summary.backend,
    worker: summary.worker ?? null,
    task: summary.task,
    final: summary.final,
    best: summary.best,
    members: summary.members ?? null,
    settings: flattenSpec(spec),
    metrics,
    classNames: summary.classNames.slice(0, SHOWN_CLASSES).map((name) => name.slice(0, 60)),
    classCount: summary.classNames.length,
    predictionsFile: existsSync(join(dir, RUN_FILES.predictions)) ? RUN_FILES.predictions : RUN_FILES.predictionsPicture,
  };
}


function signatureOf(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'none';
  }
}
