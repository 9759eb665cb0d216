import { COMMON_DATA_PROPERTIES, DATASET_KINDS, DATASET_NAMES, DEFAULT_DATASET, type Dataset } from '@specml/data';
import { parameterCount, planLayers } from '@specml/model-zoo';
import type { LoadedSpec } from './load-spec.js';
import { SpecError, type SpecProblem } from './user-errors.js';

/** Above this the weights, gradients and optimizer state (~16 bytes a parameter) stop fitting a laptop's memory. */
export const MAX_PARAMETERS = 50_000_000;

/** Checks the schema cannot express, that need only the spec. */
export function checkSpec(loaded: LoadedSpec): void {
  throwIfAny(dataKeyProblems(loaded));
  const { layers } = loaded.spec.model;
  const index = layers.length - 1;
  const last = layers[index];
  if (last.type !== 'dense' || last.activation !== 'softmax') {
    const got = last.type === 'dense' ? `a dense layer with ${last.activation}` : `a ${last.type} layer`;
    const path = ['model', 'layers', index, last.type === 'dense' ? 'activation' : 'type'];
    throwIfAny([problem(loaded, path, `the last layer must be dense with softmax activation, got ${got}`, 'training minimises softmax cross-entropy over the classes')]);
  }
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
  if (data.testPath !== undefined && data.testSplit !== undefined) {
    problems.push(problem(loaded, ['data', 'testSplit'], 'testSplit holds out test examples only when there is no testPath', 'remove one of the two'));
  }
  return problems;
}

/** Checks that need the dataset: layer shapes, the output size, the batch size, the model's size. */
export function checkSpecAgainstData(loaded: LoadedSpec, dataset: Dataset): void {
  const { spec } = loaded;
  const input = { inputShape: dataset.inputShape };
  const problems: SpecProblem[] = planLayers(spec.model, input).problems.map(({ index, message }) => problem(loaded, ['model', 'layers', index], message));
  const layers = spec.model.layers;
  const last = layers[layers.length - 1];
  const classes = dataset.classNames.length;
  if (last.type === 'dense' && last.units !== classes) {
    problems.push(problem(loaded, ['model', 'layers', layers.length - 1, 'units'], `the last layer has ${last.units} units, but ${dataset.name} has ${classes} classes`, `set units: ${classes}`));
  }
  if (spec.batchSize > dataset.train.count) {
    problems.push(problem(loaded, ['batchSize'], `${spec.batchSize} is larger than the ${dataset.train.count} training images`, `use at most ${dataset.train.count}`));
  }
  if (problems.length === 0) {
    const parameters = parameterCount(spec.model, input);
    if (parameters > MAX_PARAMETERS) {
      problems.push(problem(loaded, ['model', 'layers'], `the model has ${parameters.toLocaleString('en-US')} parameters (about ${Math.round((parameters * 16) / 2 ** 20).toLocaleString('en-US')} MiB to train), more than the limit of ${MAX_PARAMETERS.toLocaleString('en-US')}`, 'use fewer units or filters'));
    }
  }
  throwIfAny(problems);
}

function problem(loaded: LoadedSpec, path: (string | number)[], message: string, hint?: string): SpecProblem {
  return { location: loaded.locate(path), path, message, hint };
}

function throwIfAny(problems: SpecProblem[]): void {
  if (problems.length > 0) throw new SpecError(problems);
}
