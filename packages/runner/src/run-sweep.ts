import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '@specml/data';
import { loadSpec } from './load-spec.js';
import { newRunId } from './run-folder.js';
import { prepareExperiment, type RunSummary } from './run-experiment.js';
import { expandSweep, parseSweepOption, sweepAxes, type SweepAxis, type Trial } from './sweep.js';
import { SpecError } from './user-errors.js';

export interface SweepOptions {
  readonly specFile: string;
  readonly overrides: readonly string[];
  /** --sweep key=v1,v2 options */
  readonly sweeps: readonly string[];
  readonly runsDir: string;
  readonly workers?: number;
}

export type TrialStatus = RunSummary['status'] | 'invalid';

export interface TrialResult {
  readonly trial: Trial;
  readonly status: TrialStatus;
  readonly runDir: string | null;
  readonly summary: RunSummary | null;
  readonly message: string;
}

export interface SweepOutcome {
  readonly results: TrialResult[];
  readonly csvPath: string;
}

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

/** Some trials did not complete: the sweep still ran the others and wrote its summary. */
export class SweepIncompleteError extends Error {
  override readonly name = 'SweepIncompleteError';
}

/** The sweep's axes for a spec and its --sweep options; empty when there is nothing to sweep. */
export function plannedAxes(specFile: string, overrides: readonly string[], sweeps: readonly string[]): SweepAxis[] {
  const { spec } = loadSpec(specFile, overrides);
  return sweepAxes(spec.sweep as Record<string, unknown[]> | undefined, sweeps.map(parseSweepOption));
}

/**
 * Runs every trial of a sweep as its own run (a child process of this CLI), `workers` at a time. All trials
 * are validated first, so a bad value stops the sweep before anything is written; a trial that fails or
 * diverges while training does not stop the others.
 */
export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const axes = plannedAxes(options.specFile, options.overrides, options.sweeps);
  const trials = expandSweep(axes);
  let name = '';
  for (const trial of trials) {
    try {
      name = prepareExperiment(options.specFile, [...options.overrides, ...trial.overrides]).loaded.spec.name!;
    } catch (error) {
      if (error instanceof SpecError) {
        throw new UserError(`sweep trial ${trial.index} of ${trials.length} (${trial.overrides.join(', ')}) is invalid:`, [error.message, ...error.details]);
      }
      throw error;
    }
  }
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), trials.length));
  process.stdout.write(`sweep ${name}: ${trials.length} trials (${axes.map((axis) => `${axis.key} × ${axis.values.length}`).join(', ')}) on ${workers} worker${workers === 1 ? '' : 's'}\n`);

  const results: TrialResult[] = new Array(trials.length);
  let next = 0;
  const worker = async () => {
    while (next < trials.length) {
      const trial = trials[next++];
      const result = await runTrial(trial, options);
      results[trial.index - 1] = result;
      const accuracy = result.status === 'completed' && result.summary?.final ? `, test accuracy ${result.summary.final.test_accuracy.toFixed(4)}` : '';
      process.stdout.write(`trial ${trial.index}/${trials.length} ${trial.overrides.join(' ')}: ${result.status}${accuracy}${result.runDir ? ` → ${result.runDir}` : ''}\n`);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));

  const csvPath = join(options.runsDir, name, `sweep-${newRunId()}.csv`);
  mkdirSync(join(options.runsDir, name), { recursive: true });
  writeFileSync(csvPath, sweepCsv(axes, results));
  process.stdout.write(`${sweepTable(axes, results)}\nsweep summary: ${csvPath}\n`);
  const unfinished = results.filter((result) => result.status !== 'completed');
  if (unfinished.length > 0) {
    const reasons = unfinished.map((result) => `trial ${result.trial.index}: ${result.status}${result.message ? `: ${result.message.split('\n')[0].replace(/^error: /, '')}` : ''}`);
    throw new SweepIncompleteError(`${unfinished.length} of ${results.length} trials did not complete (${reasons.join('; ')})`);
  }
  return { results, csvPath };
}

function runTrial(trial: Trial, options: SweepOptions): Promise<TrialResult> {
  const args = [CLI, 'exp', options.specFile, '--no-sweep', '--runs-dir', options.runsDir];
  for (const override of [...options.overrides, ...trial.overrides]) args.push('--set', override);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', INIT_CWD: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      const runDir = /run folder: (.+)$/m.exec(stderr)?.[1] ?? (code === 0 ? stdout.trim().split('\n').at(-1)! : null);
      const summaryPath = runDir ? join(runDir, 'summary.json') : '';
      const summary = summaryPath && existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary) : null;
      const status: TrialStatus = summary?.status ?? (code === 2 ? 'invalid' : 'failed');
      resolve({ trial, status, runDir, summary, message: stderr.trim() });
    });
  });
}

function sweepRows(axes: readonly SweepAxis[], results: readonly TrialResult[]) {
  return results.map(({ trial, status, summary, runDir }) => ({
    trial: trial.index,
    values: axes.map((axis) => JSON.stringify(trial.values[axis.key])),
    status,
    final: summary?.final?.test_accuracy ?? null,
    best: summary?.best?.test_accuracy ?? null,
    loss: summary?.final?.test_loss ?? null,
    seconds: summary?.durationSeconds ?? null,
    runDir,
  }));
}

function sweepCsv(axes: readonly SweepAxis[], results: readonly TrialResult[]): string {
  const header = ['trial', ...axes.map((axis) => axis.key), 'status', 'final_test_accuracy', 'best_test_accuracy', 'final_test_loss', 'duration_seconds', 'run_dir'];
  const rows = sweepRows(axes, results).map((row) => [row.trial, ...row.values, row.status, row.final ?? '', row.best ?? '', row.loss ?? '', row.seconds ?? '', row.runDir ?? '']);
  return stringify([header, ...rows]);
}

function sweepTable(axes: readonly SweepAxis[], results: readonly TrialResult[]): string {
  const rows = sweepRows(axes, results);
  const best = Math.max(...rows.map((row) => row.final ?? -1));
  const table = new Table({ head: ['trial', ...axes.map((axis) => axis.key), 'status', 'test acc', 'best acc', 'seconds'], style: { head: [], border: [] } });
  for (const row of rows) {
    table.push([
      `${row.trial}${row.final === best && best >= 0 ? ' *' : ''}`,
      ...row.values,
      row.status,
      row.final?.toFixed(4) ?? '-',
      row.best?.toFixed(4) ?? '-',
      row.seconds?.toFixed(1) ?? '-',
    ]);
  }
  return table.toString();
}
