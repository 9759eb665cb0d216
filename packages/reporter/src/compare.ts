import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { csvText } from './csv-text.js';
import { columnGoal, selectionColumn, TASK_COLUMNS, UserError, type MetricColumn } from '@specml/data';
import { differenceOf, differenceSentence } from './significance.js';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLitePng } from './charts.js';
import { curvesSpec, finalAndBest, finalAndBestSpec } from './comparison-charts.js';
import { FONT_FAMILY } from './fonts.js';
import { findRunFolders, readRuns, type RunRecord, type RunSummary } from './run-folders.js';

export interface ComparedRun extends RunRecord {
  /** The resolved spec flattened to key paths, e.g. `optimizer.learningRate` → 0.001. */
  readonly settings: Readonly<Record<string, string>>;
}

export interface Comparison {
  readonly runs: ComparedRun[];
  /** Run folders left out because their summary.json is unreadable, one line each. */
  readonly warnings: string[];
  readonly differing: string[];
  readonly table: string;
  readonly csvPath: string;
  readonly pngPath: string;
  /** Whether the first two runs differ by more than the noise, in a sentence. */
  readonly verdict?: string;
}

const IGNORED_KEYS = new Set(['description']);

export function flattenSpec(value: unknown, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value)) value.forEach((item, index) => flattenSpec(item, `${prefix}[${index}]`, into));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) if (!IGNORED_KEYS.has(key)) flattenSpec(child, prefix ? `${prefix}.${key}` : key, into);
  } else into[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  return into;
}


/**
 * Each differing key as a legend names it: its last part (`model.layers[0].units` → `units`) where that is
 * unambiguous among them, else the whole path.
 */
function legendNames(keys: readonly string[]): Map<string, string> {
  const last = (key: string) => key.split('.').at(-1)!;
  return new Map(keys.map((key) => [key, keys.filter((other) => last(other) === last(key)).length > 1 ? key : last(key)]));
}

/** A setting as the table and the legend show it: numbers to 6 significant digits (0.013000000000000001 → 0.013; the CSV keeps every digit). */
const legendValue = (value: string | undefined) => (value === undefined ? '-' : /^-?\d/.test(value) && Number.isFinite(Number(value)) ? String(Number(Number(value).toPrecision(6))) : value);

/** The spec keys whose values are not the same in every run. */
export function differingKeys(runs: readonly ComparedRun[]): string[] {
  const keys = new Set(runs.flatMap((run) => Object.keys(run.settings)));
  return [...keys].filter((key) => new Set(runs.map((run) => run.settings[key] ?? '(absent)')).size > 1);
}

/** Compares runs: a table of what differs and how they did, plus comparison.csv and comparison.png in `outputDir`. */
export async function compareRuns(paths: readonly string[], outputDir: string): Promise<Comparison> {
  const { runs: readable, warnings } = readRuns(findRunFolders(paths));
  if (readable.length === 0) throw new UserError(`${paths.join(', ')}: no readable runs found (a run folder holds summary.json)`, warnings);
  // Runs are ranked on validation data where every run has it (choosing on the test set flatters the winner),
  // else on the test set, which the table then says. Regressions by RMSE (lowest first), classifiers by accuracy.
  const task = readable.every((run) => run.summary.task === 'regression') ? 'regression' : 'classification';
  const { headline, second } = TASK_COLUMNS[task];
  const validation = selectionColumn(task);
  const rankedBy = readable.every((run) => typeof run.summary.final?.[validation] === 'number') ? validation : headline;
  const sign = columnGoal(rankedBy) === 'maximize' ? 1 : -1;
  const score = (run: { summary: { final: Partial<Record<string, number>> | null } }) => sign * (run.summary.final?.[rankedBy] ?? Number.NaN);
  const runs = readable.map((run): ComparedRun => ({ ...run, settings: flattenSpec(run.spec) })).sort((a, b) => (Number.isNaN(score(b)) ? -Infinity : score(b)) - (Number.isNaN(score(a)) ? -Infinity : score(a)));
  const differing = differingKeys(runs).filter((key) => key !== 'name' || runs.length > 1);
  const label = (run: ComparedRun) => `${run.summary.name}/${run.summary.runId}`;
  const rows = runs.map((run, index) => ({
    rank: index + 1,
    run: label(run),
    values: differing.map((key) => run.settings[key] ?? ''),
    status: run.summary.status,
    validation: run.summary.final?.[validation],
    final: run.summary.final?.[headline],
    best: run.summary.best?.[headline],
    loss: run.summary.final?.[second],
    seconds: run.summary.durationSeconds,
  }));

  const short = (column: string) => column.replace('test_', '').replace('validation_', '').replace('accuracy', 'acc');
  const table = new Table({ head: ['#', 'run', ...differing, 'status', `val. ${short(validation)}`, `test ${short(headline)}`, `test ${short(headline)} at best val. epoch`, `test ${short(second)}`, 'seconds'], style: { head: [], border: [] } });
  // A run with folds or repeats shows its mean ± the 95 % interval over its members.
  const shown = (run: ComparedRun, column: string, value: number | undefined) => {
    const ci95 = run.summary.spread?.[column]?.ci95;
    return value === undefined ? '-' : `${value.toFixed(4)}${ci95 !== undefined && Number.isFinite(ci95) ? ` ± ${ci95.toFixed(4)}` : ''}`;
  };
  rows.forEach((row, index) => {
    const run = runs[index];
    table.push([row.rank, row.run, ...row.values.map(legendValue), row.status, shown(run, validation, row.validation), shown(run, headline, row.final), row.best?.toFixed(4) ?? '-', row.loss?.toFixed(4) ?? '-', row.seconds.toFixed(1)]);
  });
  const ranking = rankedBy === validation
    ? `ranked by final ${rankedBy.replace('_', ' ')}`
    : `ranked by final ${rankedBy.replace('_', ' ')}: not every run has validation data, so the ranking looks at the test set and flatters the first (set data.validationSplit)`;

  const csvPath = join(outputDir, 'comparison.csv');
  const header = ['rank', 'run', ...differing, 'status', `final_${validation}`, `final_${headline}`, `best_epoch_${headline}`, `final_${second}`, 'duration_seconds', 'run_dir'];
  mkdirSync(outputDir, { recursive: true });
  writeFileSync(csvPath, csvText([header, ...rows.map((row, index) => [row.rank, row.run, ...row.values, row.status, row.validation ?? '', row.final ?? '', row.best ?? '', row.loss ?? '', row.seconds, runs[index].dir])]));

  const pngPath = join(outputDir, 'comparison.png');
  writeFileSync(pngPath, await comparisonPng(runs, differing, label, task));
  const verdict = runs.length >= 2 ? verdictOf(runs[0].summary, runs[1].summary, [label(runs[0]), label(runs[1])], rankedBy) : undefined;
  return { runs, warnings, differing, table: `${table.toString()}\n${ranking}${verdict ? `\n${verdict}` : ''}`, csvPath, pngPath, verdict };
}

/** comparison.png: the ranked runs' curves and their final and best scores, each run named by rank and what sets it apart. */
function comparisonPng(runs: readonly ComparedRun[], differing: readonly string[], label: (run: ComparedRun) => string, task: 'classification' | 'regression'): Promise<Buffer> {
  const { headline, second } = TASK_COLUMNS[task];
  // Lines are named by rank (as in the table) and what sets the run apart, which keeps the legend short.
  const names = legendNames(differing);
  const legend = (run: ComparedRun, index: number) => {
    const settings = differing.map((key) => `${names.get(key)}=${legendValue(run.settings[key])}`).join(', ');
    return `#${index + 1} ${settings || label(run)}`;
  };
  const series = runs.map((run, index) => ({ label: legend(run, index), rows: run.metrics }));
  return renderVegaLitePng({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${runs.length} run${runs.length === 1 ? '' : 's'}: ${task === 'regression' ? 'test RMSE and R²' : 'test accuracy and loss'} per trained epoch`,
    vconcat: [curvesSpec(series, { metrics: [headline, second] }), finalAndBestSpec(finalAndBest(series, headline, columnGoal(headline)), headline, 760)].map(({ $schema: _, config: __, ...part }) => part),
    config: { font: FONT_FAMILY, background: 'white' },
  } as TopLevelSpec);
}

/**
 * Whether the first two runs differ by more than the noise: over their members' scores (folds or repeats),
 * paired where their members match; a sentence saying what is needed where they have no members.
 */
export function verdictOf(first: Pick<RunSummary, 'members'>, second: Pick<RunSummary, 'members'>, [firstLabel, secondLabel]: readonly [string, string], column: string): string {
  const scores = (summary: Pick<RunSummary, 'members'>) => (summary.members ?? []).filter((member) => typeof member.final?.[column as MetricColumn] === 'number').map((member) => ({ key: member.id, value: member.final![column as MetricColumn]! }));
  const result = differenceOf(scores(first), scores(second));
  if (!result) return `whether "${firstLabel}" is better than "${secondLabel}" cannot be told from one run each: give both data.folds or repeats (members) to see if the difference is larger than the noise`;
  const [better, worse, difference] = sign(column) * result.difference >= 0 ? [firstLabel, secondLabel, result] : [secondLabel, firstLabel, { ...result, difference: -result.difference }];
  const members = first.members?.some((member) => member.fold !== undefined) ? 'folds' : 'seeds';
  return differenceSentence(better, worse, difference, column, members, !/_(rmse|mae|loss)$/.test(column));
}

const sign = (column: string) => (columnGoal(column) === 'maximize' ? 1 : -1);
