import Table from 'cli-table3';

import { isFinishedStatus, type RunSummary, type TrialState, csvText, verdictOf } from '@specml/reporter';
import { TASK_COLUMNS, type Task } from '@specml/data';
import type { Trial } from './sweep.js';
import type { SweepPlan } from './sweep-plan.js';

// How a sweep's trials are shown: the CSV in its folder, the table at its end, the best trial.

/** A trial of the sweep and where it stands. */
export interface TrialResult {
  readonly trial: Trial;
  readonly state: TrialState;
  readonly runDir: string | null;
  readonly summary: RunSummary | null;
  /** The sweep's metric at the trial's last epoch (NaN while unknown, or where it did not finish). */
  readonly metric: number;
  /** Epochs it trained (fewer than the spec's when stopped early). */
  readonly epochs: number;
  /** Why it did not complete (one line), or ''. */
  readonly message: string;
  readonly worker?: string;
}

/** Whether a trial ended with a result (completed, or stopped early by the sweep). */
export const isFinished = (state: TrialState) => isFinishedStatus(state);

/** The best finished trial by the sweep's metric. */
export function bestResult(results: readonly TrialResult[], goal: 'maximize' | 'minimize'): TrialResult | undefined {
  return results
    .filter((result) => Number.isFinite(result.metric) && isFinished(result.state))
    .reduce<TrialResult | undefined>((top, result) => (!top || (goal === 'maximize' ? result.metric > top.metric : result.metric < top.metric) ? result : top), undefined);
}

/**
 * Whether the best trial beats the runner-up by more than the noise, where its score is a mean over folds or
 * seeds (the same sentence as compare's); nothing for trials of single runs, which cannot tell.
 */
export function runnerUpVerdict(plan: SweepPlan, results: readonly TrialResult[], best: TrialResult | undefined): string | undefined {
  if (!best?.summary?.members) return undefined;
  const runnerUp = bestResult(results.filter((result) => result !== best), plan.metric.goal);
  if (!runnerUp?.summary) return undefined;
  return verdictOf(best.summary, runnerUp.summary, [`trial ${best.trial.index}`, `trial ${runnerUp.trial.index}`], plan.metric.name);
}

/**
 * `{ "optimizer.learningRate": 0.01 }` → `{ optimizer: { learningRate: 0.01 } }`, to paste into a spec. A
 * path into a list (`model.layers.0.units`) cannot be pasted as a mapping: for it, the whole list is taken
 * from the trial's resolved spec (`trialSpec`), so the YAML replaces the list with what the trial ran.
 */
export function nest(values: Readonly<Record<string, unknown>>, trialSpec?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    const index = keys.findIndex((key) => /^\d+$/.test(key));
    const [shownKeys, shownValue] = index > 0 && trialSpec ? [keys.slice(0, index), valueAt(trialSpec, keys.slice(0, index))] : [keys, value];
    let node = tree;
    for (const key of shownKeys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[shownKeys.at(-1)!] = shownValue;
  }
  return tree;
}

const valueAt = (tree: unknown, keys: readonly string[]) => keys.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), tree);

/** The summary columns a task's trials are shown with: its headline (final and best) and the one beside it. */
function shownColumns(task: Task) {
  const { headline, second } = TASK_COLUMNS[task];
  return { headline, other: second, label: headline.replace('_', ' ').replace('accuracy', 'acc') };
}

function sweepRows(plan: SweepPlan, results: readonly TrialResult[], cell = cellOf) {
  const { headline, other } = shownColumns(plan.task);
  return results.map(({ trial, state, summary, runDir, metric, epochs }) => {
    const ended = state !== 'running' && state !== 'not started';
    const shown = <T>(value: T | undefined): T | null => (ended ? (value ?? null) : null);
    return {
      trial: trial.index,
      values: plan.keys.map((key) => cell(trial.values[key])),
      state,
      epochs: ended ? epochs : null,
      metric: Number.isFinite(metric) ? metric : null,
      metricSpread: summary?.spread?.[plan.metric.name]?.ci95,
      final: shown(summary?.final?.[headline]),
      best: shown(summary?.best?.[headline]),
      other: shown(summary?.final?.[other]),
      seconds: shown(summary?.durationSeconds),
      runDir,
    };
  });
}

/** One row per trial proposed so far: ended ones with their outcome, the others `running` or `not started`. */
export function sweepCsv(plan: SweepPlan, results: readonly TrialResult[]): string {
  const { headline, other } = shownColumns(plan.task);
  const header = ['trial', ...plan.keys, 'status', 'epochs', `metric_${plan.metric.name}`, `final_${headline}`, `best_epoch_${headline}`, `final_${other}`, 'duration_seconds', 'run_dir'];
  const rows = sweepRows(plan, results).map((row) => [row.trial, ...row.values, row.state, row.epochs ?? '', row.metric ?? '', row.final ?? '', row.best ?? '', row.other ?? '', row.seconds ?? '', row.runDir ?? '']);
  return csvText([header, ...rows]);
}

/** A swept value as a CSV cell, exactly: strings as they are, other values as JSON. */
const cellOf = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
/** The same for the table, numbers to 6 significant digits. */
const shortCellOf = (value: unknown) => (typeof value === 'number' ? String(Number(value.toPrecision(6))) : cellOf(value));

export function sweepTable(plan: SweepPlan, results: readonly TrialResult[], best: TrialResult | undefined): string {
  const table = new Table({ head: ['trial', ...plan.keys, 'status', 'epochs', plan.metric.name, shownColumns(plan.task).label, 'seconds'], style: { head: [], border: [] } });
  for (const row of sweepRows(plan, results, shortCellOf)) {
    table.push([
      `${row.trial}${best?.trial.index === row.trial ? ' *' : ''}`,
      ...row.values,
      row.state,
      row.epochs ?? '-',
      row.metric === null ? '-' : `${row.metric.toFixed(4)}${row.metricSpread === undefined ? '' : ` ± ${row.metricSpread.toFixed(4)}`}`,
      row.final?.toFixed(4) ?? '-',
      row.seconds?.toFixed(1) ?? '-',
    ]);
  }
  return table.toString();
}
