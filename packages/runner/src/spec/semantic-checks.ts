import { COMMON_DATA_PROPERTIES, DATASET_KINDS, DATASET_NAMES, DEFAULT_DATASET, isImageDataset, metricsColumnsOf, type Dataset } from '@specml/data';
import { parameterCount, planLayers, type ModelInput } from '@specml/model-zoo';
import type { LoadedSpec } from './load-spec.js';
import { SpecError, type SpecProblem } from './user-errors.js';

/** Above this the weights, gradients and optimizer state (~16 bytes a parameter) stop fitting a laptop's memory. */
export const MAX_PARAMETERS = 50_000_000;

/** Checks the schema cannot express, that need only the spec. */
export function checkSpec(loaded: LoadedSpec): void {
  throwIfAny([...dataKeyProblems(loaded), ...taskProblems(loaded), ...watchedColumnProblems(loaded)]);
  const { layers } = loaded.spec.model;
  const index = layers.length - 1;
  const last = layers[index];
  if (loaded.spec.task === 'regression') {
    if (last.type !== 'dense' || last.units !== 1 || last.activation !== 'linear') {
      const got = last.type === 'dense' ? `a dense layer with ${last.units} unit${last.units === 1 ? '' : 's'} and ${last.activation}` : `a ${last.type} layer`;
      const path = ['model', 'layers', index, last.type !== 'dense' ? 'type' : last.units !== 1 ? 'units' : 'activation'];
      throwIfAny([problem(loaded, path, `a regression's last layer must be dense with units: 1 and activation: linear, got ${got}`, 'end with { units: 1, activation: linear }')]);
    }
    return;
  }
  if (last.type !== 'dense' || last.activation !== 'softmax') {
    const got = last.type === 'dense' ? `a dense layer with ${last.activation}` : `a ${last.type} layer`;
    const path = ['model', 'layers', index, last.type === 'dense' ? 'activation' : 'type'];
    throwIfAny([problem(loaded, path, `the last layer must be dense with softmax activation, got ${got}`, 'training minimises softmax cross-entropy over the classes; to predict a number, set task: regression')]);
  }
}

/** task and loss: a regression needs a kind with numeric targets; a loss is a regression's. */
function taskProblems(loaded: LoadedSpec): SpecProblem[] {
  const { spec } = loaded;
  const problems: SpecProblem[] = [];
  const kind = spec.data.dataset ?? DEFAULT_DATASET;
  if (spec.task === 'regression' && !DATASET_KINDS[kind].numericTargets) {
    const kinds = DATASET_NAMES.filter((name) => DATASET_KINDS[name].numericTargets);
    problems.push(problem(loaded, ['task'], `regression predicts a number from a column of a table; dataset ${kind} has classes only`, `use dataset: ${kinds.join(' or ')} with a numeric target`));
  }
  if (spec.data.classWeights !== undefined && spec.task === 'regression') {
    problems.push(problem(loaded, ['data', 'classWeights'], 'class weights weigh the classes of a classifier; a regression has none', 'remove data.classWeights'));
  }
  if (spec.loss !== undefined && spec.task !== 'regression') {
    problems.push(problem(loaded, ['loss'], `${spec.loss} is a regression loss; a classifier is trained on softmax cross-entropy`, 'remove loss, or set task: regression'));
  }
  return problems;
}

/** earlyStopping and a plateau schedule watch a column of the spec's task; a validation column needs validation data. */
function watchedColumnProblems(loaded: LoadedSpec): SpecProblem[] {
  const { earlyStopping, schedule, data, task } = loaded.spec;
  const watched: Array<[(string | number)[], string, string]> = [];
  if (earlyStopping) watched.push([['earlyStopping', 'metric'], earlyStopping.metric!, 'early stopping']);
  if (schedule?.type === 'plateau') watched.push([['schedule', 'metric'], schedule.metric!, 'the plateau schedule']);
  const columns = metricsColumnsOf(task, true).filter((column) => column.startsWith('validation_') || column === 'train_loss');
  return watched.flatMap(([path, metric, what]): SpecProblem[] => {
    if (!(columns as readonly string[]).includes(metric)) return [problem(loaded, path, `${metric} is no column of a ${task}'s metrics.csv`, `choose one of ${columns.filter((column) => path[0] === 'schedule' || column !== 'train_loss').join(', ')}`)];
    if (metric.startsWith('validation_') && data.validationSplit === undefined && data.folds === undefined) {
      return [problem(loaded, path, `${metric} needs validation data, and the spec has none`, `set data.validationSplit (e.g. 0.2): ${what} must not watch the test set`)];
    }
    return [];
  });
}

/** `data:` keys that the chosen dataset kind does not read (imageSize on a csv table, testSplit beside testPath). */
function dataKeyProblems(loaded: LoadedSpec): SpecProblem[] {
  const { data } = loaded.spec;
  const name = data.dataset ?? DEFAULT_DATASET;
  const own = new Set([...Object.keys(DATASET_KINDS[name].properties), ...Object.keys(COMMON_DATA_PROPERTIES), 'dataset']);
  const problems = Object.keys(data)
    .filter((key) => !own.has(key))
    .map((key) => {
      const readers = DATASET_NAMES.filter((kind) => key in DATASET_KINDS[kind].properties);
      return problem(loaded, ['data', key], `${key} applies to dataset ${readers.join(' and ')}, not ${name}`, `remove it, or use dataset: ${readers[0]}`);
    });
  if (data.folds !== undefined && data.validationSplit !== undefined) {
    problems.push(problem(loaded, ['data', 'folds'], 'folds validates on each fold in turn, so validationSplit has nothing left to do', 'remove one of the two'));
  }
  if (data.fold !== undefined && (data.folds === undefined || data.fold > data.folds)) {
    problems.push(problem(loaded, ['data', 'fold'], data.folds === undefined ? 'fold names a fold of data.folds, which the spec does not set' : `fold ${data.fold} of ${data.folds} folds does not exist`, 'leave data.fold out: specml sets it for each member of a run with folds'));
  }
  if (data.testPath !== undefined && data.testSplit !== undefined) {
    problems.push(problem(loaded, ['data', 'testSplit'], 'testSplit holds out test examples only when there is no testPath', 'remove one of the two'));
  }
  return problems;
}

/**
 * The batch size against at most `count` training examples, as soon as a dataset kind has listed its files
 * and before it decodes them (70,000 images take a while): the same sentence as after loading.
 */
export function checkBatchSize(loaded: LoadedSpec, count: number, what: string): void {
  const { batchSize, data } = loaded.spec;
  const most = Math.min(count, data.trainLimit ?? Number.POSITIVE_INFINITY);
  if (batchSize > most) throwIfAny([problem(loaded, ['batchSize'], `${batchSize} is larger than the ${most} training ${what}`, `use at most ${most}`)]);
}

/** Checks that need the dataset: layer shapes, the output size, the batch size, the model's size. */
export function checkSpecAgainstData(loaded: LoadedSpec, dataset: Dataset): void {
  const { spec } = loaded;
  const input: ModelInput = dataset;
  const problems: SpecProblem[] = planLayers(spec.model, input).problems.map(({ index, message }) => problem(loaded, ['model', 'layers', index], message));
  const layers = spec.model.layers;
  const last = layers[layers.length - 1];
  const classes = dataset.classNames.length;
  if (spec.task !== 'regression' && last.type === 'dense' && last.units !== classes) {
    // A table's numeric column of many values is more likely a number to predict than that many classes.
    const numbers = dataset.table !== undefined && classes > 20 && dataset.classNames.every((name) => Number.isFinite(Number(name)));
    const hint = numbers ? `set units: ${classes}; or, to predict "${dataset.table!.target}" as a number, set task: regression and end with { units: 1, activation: linear }` : `set units: ${classes}${otherTargets(dataset, last.units)}`;
    const what = dataset.table ? `the target is "${dataset.table.target}" (${spec.data.target === undefined ? 'the last column' : 'data.target'}), with ${classes} classes` : `${dataset.name} has ${classes} classes`;
    problems.push(problem(loaded, ['model', 'layers', layers.length - 1, 'units'], `the last layer has ${last.units} units, but ${what}`, hint));
  }
  if (spec.batchSize > dataset.train.count) {
    problems.push(problem(loaded, ['batchSize'], `${spec.batchSize} is larger than the ${dataset.train.count} training ${isImageDataset(dataset) ? 'images' : 'rows'}`, `use at most ${dataset.train.count}`));
  }
  if (problems.length === 0) {
    const parameters = parameterCount(spec.model, input);
    if (parameters > MAX_PARAMETERS) {
      problems.push(problem(loaded, ['model', 'layers'], `the model has ${parameters.toLocaleString('en-US')} parameters (about ${Math.round((parameters * 16) / 2 ** 20).toLocaleString('en-US')} MiB to train), more than the limit of ${MAX_PARAMETERS.toLocaleString('en-US')}`, 'use fewer units or filters'));
    }
  }
  throwIfAny(problems);
}

/** `; or "survived" has 2 classes: set data.target: survived` — the table's columns with as many values as the last layer has units. */
function otherTargets(dataset: Dataset, units: number): string {
  const fitting = Object.entries(dataset.table?.distinctValues ?? {}).filter(([name, count]) => count === units && name !== dataset.table!.target).map(([name]) => name);
  if (fitting.length === 0) return '';
  return `; or ${fitting.slice(0, 3).map((name) => JSON.stringify(name)).join(', ')} ${fitting.length === 1 ? 'has' : 'have'} ${units} classes: set data.target: ${fitting[0]}`;
}

function problem(loaded: LoadedSpec, path: (string | number)[], message: string, hint?: string): SpecProblem {
  return { location: loaded.locate(path), path, message, hint };
}

function throwIfAny(problems: SpecProblem[]): void {
  if (problems.length > 0) throw new SpecError(problems);
}
