import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { readRegularFile, UserError } from '@specml/data';
import { flattenSpec, isSweepFolder, readSweep, SWEEP_FILES, writeFileAtomic, type SweepRecord, type SweepRefitRecord, type SweepState } from '@specml/reporter';
import type { TrialExecutor } from '../executors/trial-executor.js';
import { loadSpec, type KeyPath, type LoadedSpec } from '../spec/load-spec.js';
import { newRunId } from '../run/run-folder.js';
import { prepareExperiment } from '../run/run-experiment.js';
import type { ExperimentSpec } from '../spec/spec-schema.js';
import { parseSweepOption } from './sweep.js';
import { fullFormOf, planSweep, type SweepPlan } from './sweep-plan.js';
import { sweepCsv, type TrialResult } from './sweep-report.js';
import { formatProblem, SpecError, type SpecProblem } from '../spec/user-errors.js';

// A sweep's folder, runs/<name>/sweep-<id>/: opening a new one (checked, nothing written for a bad spec),
// reopening one to resume it (refusing a spec that changed), and writing its record.

/** Where a sweep comes from and where it goes: the part of a sweep's options that opening it needs. */
export interface SweepSource {
  /** The spec to sweep; with a resume it may be left out, and where given it must describe the same sweep. */
  readonly specFile?: string;
  readonly overrides: readonly string[];
  /** --sweep key=v1,v2 options */
  readonly sweeps: readonly string[];
  readonly runsDir: string;
  /** Where trials run (the caller closes it); by default a pool of child processes on this machine. */
  readonly executor?: TrialExecutor;
}

/** A sweep, checked, with the folder it lives in. */
export interface OpenedSweep {
  readonly plan: SweepPlan;
  /** The resolved base spec (defaults filled, data path absolute, no sweep block). */
  readonly base: ExperimentSpec;
  readonly specFile: string;
  readonly dir: string;
  readonly runsDir: string;
  /** What a resumed sweep had done so far. */
  readonly record?: SweepRecord;
  /** Validates a trial's overrides like --set against the spec and its data. */
  readonly check: (overrides: readonly string[], what: string) => Promise<void>;
  /**
   * What every trial starts from: the spec file's text as written (so that a trial equals that file run
   * with --set, and its messages point at the file's lines) and the sweep's own --set options.
   */
  readonly written: { readonly specText: string; readonly overrides: readonly string[] };
}

/** A new sweep: planned and checked (nothing is written for a bad one), in a new sweep folder. */
export async function openSweep(options: SweepSource): Promise<OpenedSweep> {
  if (options.specFile === undefined) throw new UserError('exp: give a spec file to sweep');
  const { plan, base, check } = await checkedPlan(options.specFile, options.overrides, options.sweeps);
  for (const warning of plan.warnings) process.stderr.write(`warning: ${warning}\n`);
  // Trials on a queue outlive this process: the same sweep gets the same folder (and job ids), so that
  // starting it again reattaches to it instead of running its trials twice.
  const id = options.executor?.durable ? `q${createHash('sha256').update(sweepYaml(base, plan)).digest('hex').slice(0, 16)}` : newRunId();
  const dir = join(options.runsDir, base.name!, `sweep-${id}`);
  if (options.executor?.durable && isSweepFolder(dir)) {
    process.stdout.write(`reattaching to ${dir}, started earlier with the same spec\n`);
    return reopenSweep(dir, { ...options, specFile: undefined, overrides: [], sweeps: [] });
  }
  const written = { specText: readRegularFile(options.specFile), overrides: [...options.overrides] };
  return { plan, base, specFile: options.specFile, dir, runsDir: options.runsDir, check, written };
}

/** A sweep folder's sweep.yaml: the resolved spec with the sweep block in full form. */
const sweepYaml = (base: ExperimentSpec, plan: SweepPlan) => stringifyYaml({ ...base, sweep: fullFormOf(plan) });

/**
 * A sweep folder to continue, with the spec it recorded. Where a spec file is given as well, it must
 * still describe the same sweep; what changed is refused, key by key.
 */
export async function reopenSweep(dir: string, options: SweepSource): Promise<OpenedSweep> {
  if (!existsSync(join(dir, SWEEP_FILES.spec)) || !isSweepFolder(dir)) {
    throw new UserError(`--resume ${dir}: not a sweep folder (it has no ${SWEEP_FILES.spec} and ${SWEEP_FILES.state}; a sweep folder is runs/<name>/sweep-<id>)`);
  }
  const record = readSweep(dir);
  // A sweep from before spec.written.yaml existed goes on from its resolved spec.
  const writtenPath = join(dir, SWEEP_FILES.written);
  const written = existsSync(writtenPath) ? { specText: readRegularFile(writtenPath), overrides: record.baseOverrides ?? [] } : { specText: readRegularFile(join(dir, SWEEP_FILES.spec)), overrides: [] };
  const { plan, base } = await checkedPlan(join(dir, SWEEP_FILES.spec), [], []);
  const check = trialCheck(record.specFile, written);
  if (options.specFile !== undefined) {
    const now = await checkedPlan(options.specFile, options.overrides, options.sweeps);
    const recorded = flattenSpec({ ...base, sweep: fullFormOf(plan) });
    const given = flattenSpec({ ...now.base, sweep: fullFormOf(now.plan) });
    const changed = [...new Set([...Object.keys(recorded), ...Object.keys(given)])].filter((key) => recorded[key] !== given[key]);
    if (changed.length > 0) {
      const shown = changed.slice(0, 5).map((key) => `${key} (${recorded[key] ?? 'absent'} in the sweep, ${given[key] ?? 'absent'} now)`);
      throw new UserError(
        `--resume ${dir}: ${options.specFile} no longer describes this sweep: ${shown.join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''}; start a new sweep with exp ${options.specFile}, or resume without the spec`,
      );
    }
  } else if (options.overrides.length > 0 || options.sweeps.length > 0) {
    throw new UserError(`--resume ${dir}: a sweep continues with its own ${SWEEP_FILES.spec}; --set, --backend and --sweep do not apply`);
  }
  return { plan, base, specFile: record.specFile, dir, runsDir: dirname(dirname(dir)), record, check, written };
}

/** Validates a trial's values like --set, on the spec as written (the same text its trial process gets). */
function trialCheck(specFile: string, written: OpenedSweep['written']): OpenedSweep['check'] {
  return async (trialOverrides, what) => {
    try {
      await prepareExperiment(specFile, [...written.overrides, ...trialOverrides], { specText: written.specText });
    } catch (error) {
      if (error instanceof SpecError) throw new UserError(`sweep ${what} (${trialOverrides.join(', ')}) is invalid:`, [error.message, ...error.details]);
      throw error;
    }
  };
}

/** Plans a spec's sweep and validates its values like --set (the data is loaded once and reused). */
async function checkedPlan(specFile: string, overrides: readonly string[], sweeps: readonly string[]): Promise<Pick<OpenedSweep, 'plan' | 'base' | 'check'>> {
  const loaded = loadSpec(specFile, overrides);
  const plan = planSweep(loaded, sweeps.map(parseSweepOption));
  if (!plan) throw new UserError(`${specFile}: has no sweep: block and no --sweep option`);
  const base = (await prepareExperiment(specFile, overrides)).loaded.spec;
  delete base.sweep;
  const written = { specText: readRegularFile(specFile), overrides };
  const check = trialCheck(specFile, written);
  // Each listed value and range end is validated like --set, and a problem is reported where the value is
  // written in the sweep block: the person wrote YAML, not a --set option.
  const problems: SpecProblem[] = [];
  for (const probe of plan.probes) problems.push(...(await probeProblems(probe)));
  if (problems.length > 0) throw new SpecError([...new Map(problems.map((problem) => [formatProblem(problem), problem])).values()]);
  return { plan, base, check };

  async function probeProblems(probe: SweepPlan['probes'][number]): Promise<SpecProblem[]> {
    const override = `${probe.key}=${JSON.stringify(probe.value)}`;
    try {
      await prepareExperiment(specFile, [...overrides, override], { specText: written.specText });
      return [];
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      const atValue = error.problems.every((problem) => 'override' in problem.location && problem.location.override === override);
      // A value that clashes with the rest of the spec (sgd where the spec sets adam's beta1) is told as such.
      if (!atValue) throw new UserError(`sweep value ${JSON.stringify(probe.value)} of ${probe.key} (${override}) is invalid:`, [error.message, ...error.details]);
      return error.problems.map((problem) => inSweepBlock(loaded, probe, problem));
    }
  }
}

/**
 * A problem of a swept value, moved to where the sweep block writes it: the key (an unknown key) or the
 * value itself (a listed value, a range's min or max), named by its path in the sweep block.
 */
function inSweepBlock(loaded: LoadedSpec, probe: { key: string; value: unknown }, problem: SpecProblem): SpecProblem {
  const sweep = (loaded.spec.sweep ?? {}) as { parameters?: Record<string, unknown> } & Record<string, unknown>;
  const fullForm = sweep.parameters !== undefined && Object.hasOwn(sweep.parameters, probe.key);
  const shorthand = !fullForm && Object.hasOwn(sweep, probe.key);
  if (!fullForm && !shorthand) return problem; // a --sweep option: the command line is where it was written
  const at: KeyPath = fullForm ? ['sweep', 'parameters', probe.key] : ['sweep', probe.key];
  const entry = fullForm ? sweep.parameters![probe.key] : sweep[probe.key];
  const list = Array.isArray(entry) ? entry : Array.isArray((entry as { values?: unknown })?.values) ? (entry as { values: unknown[] }).values : undefined;
  const valuePath: KeyPath = list
    ? [...at, ...(Array.isArray(entry) ? [] : ['values']), Math.max(0, list.findIndex((value) => Object.is(value, probe.value) || JSON.stringify(value) === JSON.stringify(probe.value)))]
    : [...at, (entry as { min?: unknown })?.min === probe.value ? 'min' : 'max'];
  const atKey = /unknown key|has no key/.test(problem.message);
  return { ...problem, location: atKey ? loaded.locate(at, true) : loaded.locate(valuePath), path: [...at.slice(0, -1), ...probe.key.split('.')] };
}

/** sweep.yaml (once), sweep.json and sweep.csv, each replaced whole. */
export function writeSweepRecord(sweep: OpenedSweep, startedAt: string, state: SweepState, results: readonly TrialResult[], refit?: SweepRefitRecord): void {
  const { plan, base, dir } = sweep;
  mkdirSync(dir, { recursive: true });
  const specPath = join(dir, SWEEP_FILES.spec);
  if (!existsSync(specPath)) writeFileAtomic(specPath, sweepYaml(base, plan));
  const writtenPath = join(dir, SWEEP_FILES.written);
  if (!existsSync(writtenPath)) writeFileAtomic(writtenPath, sweep.written.specText);
  const record: SweepRecord = {
    name: base.name!,
    sweepId: basename(dir).replace(/^sweep-/, ''),
    specFile: sweep.specFile,
    baseOverrides: sweep.written.overrides,
    method: plan.method,
    keys: plan.keys,
    metric: plan.metric,
    trialCount: plan.trialCount,
    state,
    startedAt,
    trials: results.map((result) => ({
      index: result.trial.index,
      values: result.trial.values,
      overrides: result.trial.overrides,
      state: result.state,
      runId: result.runDir ? basename(result.runDir) : null,
      metric: Number.isFinite(result.metric) ? result.metric : null,
      epochs: result.epochs,
      message: result.message,
      ...(result.worker ? { worker: result.worker } : {}),
    })),
    ...(refit ? { refit } : {}),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
  };
  writeFileAtomic(join(dir, SWEEP_FILES.state), `${JSON.stringify(record, null, 2)}\n`);
  writeFileAtomic(join(dir, SWEEP_FILES.csv), sweepCsv(plan, results));
}

