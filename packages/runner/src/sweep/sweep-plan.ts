import { SEARCH_METHOD_NAMES, SEARCH_METHODS, type Goal, type Parameter, type SearchMethodName, type Space } from '@specml/search';
import type { KeyPath, LoadedSpec } from '../spec/load-spec.js';
import { columnGoal, scoreColumnsOf, TASK_COLUMNS, UserError, type MetricColumn, type Task } from '@specml/data';
import { expandSweep, MAX_TRIALS, sweepAxes, type SweepAxis } from './sweep.js';
import { SpecError, type SpecProblem } from '../spec/user-errors.js';
import { hasMembers } from '../run/member-runs.js';

/** What a sweep block asks for, checked: how trials are chosen, what they optimise, when they stop. */
export interface SweepPlan {
  readonly method: SearchMethodName;
  /** The spec's task: which metrics.csv columns the trials have. */
  readonly task: Task;
  /** The sweep block's keys that only its method reads (bayes' multivariate), as written. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The swept key paths, in the order written (the CSV's and table's columns). */
  readonly keys: readonly string[];
  /** Each key's listed values (empty for a range): how a grid's size is told. */
  readonly axes: readonly SweepAxis[];
  readonly space: Space;
  readonly trialCount: number;
  readonly metric: { readonly name: string; readonly goal: Goal };
  readonly earlyStop?: { readonly minEpochs: number; readonly eta: number };
  /** Whether the chosen settings train once more on training + validation rows (sweep.refit). */
  readonly refit: boolean;
  /** Values worth validating up front: every listed value and both ends of every range. */
  readonly probes: readonly { key: string; value: unknown }[];
  readonly warnings: readonly string[];
}

interface FullForm {
  method?: SearchMethodName;
  trials?: number;
  metric?: { name: string; goal?: Goal };
  parameters?: Record<string, unknown>;
  earlyStop?: { type: 'asha' | 'hyperband'; minEpochs: number; eta: number };
  refit?: boolean;
}

/**
 * Why a spec's chosen settings cannot be refitted on training + validation rows: it has no validation rows to
 * add, or a plateau schedule would watch validation data the refit no longer has.
 */
function refitProblems(loaded: LoadedSpec): SpecProblem[] {
  const { spec } = loaded;
  const at = (message: string, hint: string) => ({ location: loaded.locate(['sweep', 'refit']), path: ['sweep', 'refit'], message, hint });
  if (spec.data.validationSplit === undefined && spec.data.folds === undefined) return [at('refit trains the chosen settings on the training and validation rows together, and this spec has no validation rows', 'set data.validationSplit (e.g. 0.2) or data.folds, or leave refit out')];
  const schedule = spec.schedule as { type?: string; metric?: string } | undefined;
  if (schedule?.type === 'plateau' && (schedule.metric ?? 'validation_loss').startsWith('validation_')) {
    return [at(`the plateau schedule watches ${schedule.metric ?? 'validation_loss'}, which a refit on training and validation rows together no longer has`, 'watch train_loss in the schedule, or leave refit out')];
  }
  return [];
}

/** Every method's own keys (bayes' multivariate), from the registry. */
const METHOD_OPTION_KEYS = new Set(SEARCH_METHOD_NAMES.flatMap((name) => Object.keys(SEARCH_METHODS[name].options)));
const FULL_FORM_KEYS = new Set(['method', 'trials', 'metric', 'parameters', 'earlyStop', ...METHOD_OPTION_KEYS]);
/** Keys of the sweep block that either form takes beside its key paths. */
const SWEEP_SETTINGS = new Set(['refit']);
const DISTRIBUTIONS = ['uniform', 'logUniform', 'intUniform'] as const;

/** A sweep block being read: where its problems and warnings go, each problem located in the spec. */
interface Reading {
  readonly loaded: LoadedSpec;
  readonly block: (FullForm & Record<string, unknown>) | undefined;
  readonly cliAxes: readonly SweepAxis[];
  readonly problems: SpecProblem[];
  readonly warnings: string[];
  at(path: KeyPath, message: string, hint?: string, atKey?: boolean): void;
}

/**
 * Reads a spec's `sweep:` block (and --sweep options, which add value lists) into a plan, or throws every
 * problem located in the spec. Nothing here runs or validates trials; the caller validates `probes` and
 * each trial like --set.
 */
export function planSweep(loaded: LoadedSpec, cliAxes: readonly SweepAxis[]): SweepPlan | undefined {
  const block = (loaded.spec.sweep ?? undefined) as (FullForm & Record<string, unknown>) | undefined;
  const problems: SpecProblem[] = [];
  const reading: Reading = { loaded, block, cliAxes, problems, warnings: [], at: (path, message, hint, atKey = false) => problems.push({ location: loaded.locate(path, atKey), path, message, hint }) };
  const metric = sweepMetric(reading);
  const refit = block?.refit === true;
  if (refit) problems.push(...refitProblems(loaded));
  const full = block !== undefined && ('method' in block || 'parameters' in block);
  return full ? fullFormPlan(reading, block, metric, refit) : shorthandPlan(reading, metric, refit);
}

/** What the sweep optimises: sweep.metric, else the task's headline on validation data where there is some; a test column is warned about. */
function sweepMetric({ loaded, block, at, warnings }: Reading): { name: string; goal: Goal } {
  // Folds validate too: each fold in turn, the trial's score their mean.
  const hasValidation = loaded.spec.data.validationSplit !== undefined || loaded.spec.data.folds !== undefined;
  const task = loaded.spec.task;
  const headline = TASK_COLUMNS[task].headline;
  const chosen: { name: string; goal?: Goal } = block?.metric ?? { name: hasValidation ? headline.replace('test_', 'validation_') : headline };
  const metric = { name: chosen.name, goal: chosen.goal ?? columnGoal(chosen.name) };
  const columns = scoreColumnsOf(task);
  if (block?.metric && !columns.includes(metric.name as MetricColumn)) {
    at(['sweep', 'metric', 'name'], `${metric.name} is no column of a ${task}'s metrics.csv`, `choose one of ${columns.join(', ')}`);
  }
  if (metric.name.startsWith('validation_') && !hasValidation) {
    at(['sweep', 'metric', 'name'], `${metric.name} needs a validation set`, `set data.validationSplit (e.g. 0.1), or use ${headline}`);
  }
  if (metric.name.startsWith('test_')) {
    const fix = hasValidation ? `choose on validation_${metric.name.slice(5)}` : `set data.validationSplit (e.g. 0.2) to choose on validation_${metric.name.slice(5)}`;
    warnings.push(`sweep.metric: choosing on ${metric.name} tunes to the test set: the chosen trial's test score is optimistic (it was picked for being high) and no longer measures how the model generalises; ${fix}`);
  }
  return metric;
}

/** The grid shorthand: key paths mapped to lists, beside which only the settings (refit) may stand. */
function shorthandPlan(reading: Reading, metric: { name: string; goal: Goal }, refit: boolean): SweepPlan | undefined {
  const { block, cliAxes, at, problems, warnings, loaded } = reading;
  const grid = Object.fromEntries(Object.entries(block ?? {}).filter(([key]) => !FULL_FORM_KEYS.has(key) && !SWEEP_SETTINGS.has(key))) as Record<string, unknown[]>;
  for (const key of Object.keys(block ?? {}).filter((key) => FULL_FORM_KEYS.has(key))) {
    at(['sweep', key], `${key} belongs to the full form, which lists its key paths under parameters:`, 'add `method: grid` and move the key paths under `parameters:`', true);
  }
  for (const key of unsweepable([...Object.keys(grid), ...cliAxes.map((axis) => axis.key)])) at(['sweep', key], ...UNSWEEPABLE(key), true);
  for (const [key, values] of Object.entries(grid)) if (Array.isArray(values) && values.some(isNonFinite)) at(['sweep', key], ...NON_FINITE);
  throwIfAny(problems);
  const axes = sweepAxes(grid, cliAxes);
  if (axes.length === 0) return undefined;
  return { ...gridPlan(axes, metric, undefined, warnings, loaded.spec.task), refit };
}

/** The full form: a method, its options, parameters (lists or ranges), trials, early stopping. */
function fullFormPlan(reading: Reading, block: FullForm & Record<string, unknown>, metric: { name: string; goal: Goal }, refit: boolean): SweepPlan {
  const { at, problems, warnings, loaded } = reading;
  const methodName = block.method ?? 'grid';
  const method = SEARCH_METHODS[methodName];
  const options = methodOptions(reading, block, methodName);
  for (const key of Object.keys(block).filter((key) => !FULL_FORM_KEYS.has(key) && !SWEEP_SETTINGS.has(key))) {
    at(['sweep', key], `a key path beside method or parameters: the full form lists them under parameters:`, `move ${key} under parameters:`, true);
  }
  const space = parametersSpace(reading, block);
  methodProblems(reading, block, methodName, space);
  const earlyStop = block.earlyStop ? { minEpochs: block.earlyStop.minEpochs, eta: block.earlyStop.eta } : undefined;
  if (block.earlyStop?.type === 'hyperband') warnings.push('sweep.earlyStop.type: hyperband is the former name of asha (asynchronous successive halving; specml runs no Hyperband brackets): it works the same, write asha');
  // The longest trial decides whether a rung can ever be reached (epochs may itself be swept).
  const longest = longestEpochs(space, loaded.spec.epochs);
  if (earlyStop && hasMembers(loaded.spec)) {
    at(['sweep', 'earlyStop'], 'stops single runs at their rungs, but each trial here is a mean over folds or seeds (data.folds, repeats)', 'remove sweep.earlyStop (each member can still stop early with earlyStopping), or sweep with data.validationSplit');
  } else if (earlyStop && earlyStop.minEpochs >= longest) {
    at(['sweep', 'earlyStop', 'minEpochs'], `is ${earlyStop.minEpochs}, but trials train only ${longest} epochs: nothing would ever be stopped`, `use a minEpochs below ${longest}`);
  }
  throwIfAny(problems);
  const trialCount = 'trialCount' in method ? method.trialCount(space) : block.trials!;
  if (trialCount > MAX_TRIALS) {
    const sizes = Object.values(space).map((parameter) => (parameter.kind === 'values' ? parameter.values.length : 0));
    throw new UserError(`sweep: ${sizes.join(' × ')} = ${trialCount} trials, more than the limit of ${MAX_TRIALS} (sweep fewer values)`);
  }
  return {
    method: methodName,
    task: loaded.spec.task,
    options,
    keys: Object.keys(space),
    axes: Object.entries(space).map(([key, parameter]) => ({ key, values: parameter.kind === 'values' ? parameter.values : [] })),
    space,
    trialCount,
    metric,
    earlyStop,
    refit,
    probes: Object.entries(space).flatMap(([key, parameter]) =>
      parameter.kind === 'values' ? parameter.values.map((value) => ({ key, value })) : [{ key, value: parameter.min }, { key, value: parameter.max }],
    ),
    warnings,
  };
}

/** The block's options for its method (bayes' multivariate); one of another method's is a problem naming its owner. */
function methodOptions({ at }: Reading, block: Record<string, unknown>, methodName: SearchMethodName): Record<string, unknown> {
  const method = SEARCH_METHODS[methodName];
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(block).filter((key) => METHOD_OPTION_KEYS.has(key))) {
    if (key in method.options) options[key] = block[key];
    else {
      const owners = SEARCH_METHOD_NAMES.filter((name) => key in SEARCH_METHODS[name].options);
      at(['sweep', key], `applies to method ${owners.join(' and ')}, not ${methodName}`, `remove it, or use method: ${owners[0]}`, true);
    }
  }
  return options;
}

/** The parameters (and --sweep lists) as a search space, each checked: sweepable, finite, a well-formed range. */
function parametersSpace({ at, cliAxes }: Reading, block: FullForm): Record<string, Parameter> {
  const space: Record<string, Parameter> = {};
  for (const [key, raw] of Object.entries(block.parameters ?? {})) {
    const parameter = parseParameter(raw, (message, hint) => at(['sweep', 'parameters', key], message, hint));
    if (parameter) space[key] = parameter;
  }
  for (const axis of cliAxes) space[axis.key] = { kind: 'values', values: axis.values };
  for (const key of unsweepable(Object.keys(space))) at(['sweep', 'parameters', key], ...UNSWEEPABLE(key), true);
  for (const [key, parameter] of Object.entries(space)) {
    if ((parameter.kind === 'values' ? parameter.values : [parameter.min, parameter.max]).some(isNonFinite)) at(['sweep', 'parameters', key], ...NON_FINITE);
  }
  if (Object.keys(block.parameters ?? {}).length === 0 && cliAxes.length === 0) at(['sweep'], 'has no parameters to sweep', 'add parameters: { optimizer.learningRate: { min: 0.0001, max: 0.1, distribution: logUniform } }');
  return space;
}

/** What the method can do with this space: ranges only where it searches them, trials only where it counts them. */
function methodProblems({ at }: Reading, block: FullForm, methodName: SearchMethodName, space: Record<string, Parameter>): void {
  const method = SEARCH_METHODS[methodName];
  const rangeMethods = SEARCH_METHOD_NAMES.filter((name) => SEARCH_METHODS[name].searchesRanges);
  const countedMethods = SEARCH_METHOD_NAMES.filter((name) => !('trialCount' in SEARCH_METHODS[name]));
  if (!method.searchesRanges) {
    for (const [key, parameter] of Object.entries(space)) {
      if (parameter.kind !== 'values') at(['sweep', 'parameters', key], `is a range, which ${methodName} cannot enumerate`, `list values, or use method: ${rangeMethods.join(' or ')}`);
    }
  }
  if ('trialCount' in method) {
    if (block.trials !== undefined) at(['sweep', 'trials'], `applies to ${countedMethods.join(' and ')}; ${methodName} runs every combination`, `remove trials, or use method: ${countedMethods[0]}`, true);
  } else if (block.trials === undefined) {
    at(['sweep', 'method'], `${methodName} needs trials: how many trials to run in all`, 'add trials: 16');
  }
}

/** The most epochs any trial trains: the base spec's, or the largest value of a swept `epochs`. */
export function longestEpochs(space: Space, baseEpochs: number): number {
  const swept = space.epochs ? (space.epochs.kind === 'values' ? space.epochs.values : [space.epochs.max]).map(Number).filter(Number.isFinite) : [];
  return Math.max(baseEpochs, ...swept);
}

/** `.nan`, `.inf` and `-.inf`: YAML numbers no trial can run with (and JSON, hence sweep.json, cannot hold). */
const isNonFinite = (value: unknown) => typeof value === 'number' && !Number.isFinite(value);
const NON_FINITE: [string, string] = ['holds .nan or .inf, which is no value a trial can run with', 'list finite numbers'];

/**
 * Keys a trial may not vary: its name decides the folder its run goes in, which is the sweep's; its folds and
 * repeats decide what its score is a mean of, which every trial must share to be compared.
 */
const MEMBER_KEYS = new Set(['data.folds', 'data.fold', 'repeats']);
const unsweepable = (keys: readonly string[]) => keys.filter((key) => key === 'name' || key === 'sweep' || key.startsWith('sweep.') || MEMBER_KEYS.has(key));
const UNSWEEPABLE = (key: string): [string, string] =>
  key === 'name'
    ? ['name cannot be swept: every trial of a sweep runs in the sweep\'s experiment folder, under the spec\'s one name', 'remove it from the sweep (set name: once, or run separate specs)']
    : MEMBER_KEYS.has(key)
      ? [`${key} cannot be swept: every trial's score must be a mean over the same folds and seeds to be compared`, `set ${key} once, outside the sweep`]
      : [`${key} cannot be swept: a trial does not sweep again`, 'remove it from the sweep'];

function gridPlan(axes: SweepAxis[], metric: { name: string; goal: Goal }, earlyStop: SweepPlan['earlyStop'], warnings: string[], task: Task): SweepPlan {
  return {
    method: 'grid',
    task,
    options: {},
    keys: axes.map((axis) => axis.key),
    axes,
    space: Object.fromEntries(axes.map((axis) => [axis.key, { kind: 'values', values: axis.values }])),
    trialCount: expandSweep(axes).length,
    metric,
    earlyStop,
    refit: false,
    probes: axes.flatMap((axis) => axis.values.map((value) => ({ key: axis.key, value }))),
    warnings,
  };
}

/** One `parameters:` entry: a list, `{ values }`, or `{ min, max, distribution }`; problems reported through `fail`. */
function parseParameter(raw: unknown, fail: (message: string, hint?: string) => void): Parameter | undefined {
  if (Array.isArray(raw)) return raw.length > 0 ? { kind: 'values', values: raw } : (fail('is an empty list', 'list at least one value'), undefined);
  if (raw === null || typeof raw !== 'object') {
    fail(`must be a list of values or a range, got ${JSON.stringify(raw)}`, 'e.g. [16, 32] or { min: 0.0001, max: 0.1, distribution: logUniform }');
    return undefined;
  }
  const entry = raw as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((key) => !['values', 'min', 'max', 'distribution'].includes(key));
  if (unknown.length > 0) {
    fail(`has unknown key ${JSON.stringify(unknown[0])}`, 'a parameter is { values: [...] } or { min, max, distribution }');
    return undefined;
  }
  if ('values' in entry) {
    if (!Array.isArray(entry.values) || entry.values.length === 0) return (fail('values must be a non-empty list'), undefined);
    if (entry.values.length > 100) return (fail(`lists ${entry.values.length} values; at most 100`), undefined);
    return { kind: 'values', values: entry.values };
  }
  const distribution = entry.distribution ?? 'uniform';
  if (!DISTRIBUTIONS.includes(distribution as (typeof DISTRIBUTIONS)[number])) {
    fail(`distribution must be one of ${DISTRIBUTIONS.join(', ')}, got ${JSON.stringify(distribution)}`);
    return undefined;
  }
  const { min, max } = entry;
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max)) {
    fail('a range needs numbers min and max', 'e.g. { min: 0.0001, max: 0.1 }');
    return undefined;
  }
  if (min >= max) return (fail(`min ${min} must be below max ${max}`), undefined);
  if (distribution === 'logUniform' && min <= 0) return (fail(`a logUniform range must be above 0, got min ${min}`, 'e.g. min: 0.0001'), undefined);
  if (distribution === 'intUniform' && (!Number.isInteger(min) || !Number.isInteger(max))) return (fail('an intUniform range needs whole numbers'), undefined);
  return { kind: distribution as Exclude<Parameter['kind'], 'values'>, min, max };
}

/** Every problem at once, in the order of the lines they are on. */
function throwIfAny(problems: SpecProblem[]): void {
  const position = (problem: SpecProblem) => ('line' in problem.location ? problem.location.line * 10_000 + problem.location.column : 0);
  if (problems.length > 0) throw new SpecError([...problems].sort((a, b) => position(a) - position(b)));
}


/**
 * A plan as a sweep block in full form (--sweep options folded in, the metric spelled out): what a sweep
 * folder's sweep.yaml holds, and what planSweep reads back into the same plan.
 */
export function fullFormOf(plan: SweepPlan): FullForm {
  const parameters = Object.fromEntries(
    Object.entries(plan.space).map(([key, parameter]) => [key, parameter.kind === 'values' ? [...parameter.values] : { min: parameter.min, max: parameter.max, distribution: parameter.kind }]),
  );
  return {
    method: plan.method,
    ...plan.options,
    ...('trialCount' in SEARCH_METHODS[plan.method] ? {} : { trials: plan.trialCount }),
    metric: { ...plan.metric },
    parameters,
    ...(plan.earlyStop ? { earlyStop: { type: 'asha' as const, ...plan.earlyStop } } : {}),
  };
}
