import type { Dataset } from '@specml/data';
import { denseStackOf, parameterCount } from '@specml/model-zoo';
import type { LoadedSpec } from './load-spec.js';
import { SpecError, type SpecProblem } from './user-errors.js';

/** Above this the weights, gradients and optimizer state (~16 bytes a parameter) stop fitting a laptop's memory. */
export const MAX_PARAMETERS = 50_000_000;

/** Checks the schema cannot express, that need only the spec. */
export function checkSpec(loaded: LoadedSpec): void {
  const { layers } = loaded.spec.model;
  const last = layers.length - 1;
  const problems: SpecProblem[] = [];
  if (layers[last].activation !== 'softmax') {
    problems.push(problem(loaded, ['model', 'layers', last, 'activation'], `the last layer must use softmax, got ${layers[last].activation}`, 'training minimises softmax cross-entropy over the classes'));
  }
  throwIfAny(problems);
}

/** Checks that need the dataset: the output size, the batch size, the model's size. */
export function checkSpecAgainstData(loaded: LoadedSpec, dataset: Dataset): void {
  const { spec } = loaded;
  const problems: SpecProblem[] = [];
  const last = spec.model.layers.length - 1;
  const classes = dataset.classNames.length;
  if (spec.model.layers[last].units !== classes) {
    problems.push(problem(loaded, ['model', 'layers', last, 'units'], `the last layer has ${spec.model.layers[last].units} units, but ${dataset.name} has ${classes} classes`, `set units: ${classes}`));
  }
  if (spec.batchSize > dataset.train.count) {
    problems.push(problem(loaded, ['batchSize'], `${spec.batchSize} is larger than the ${dataset.train.count} training images`, `use at most ${dataset.train.count}`));
  }
  const parameters = parameterCount(denseStackOf(spec.model, { imageShape: dataset.imageShape }));
  if (parameters > MAX_PARAMETERS) {
    problems.push(problem(loaded, ['model', 'layers'], `the model has ${parameters.toLocaleString('en-US')} parameters (about ${Math.round((parameters * 16) / 2 ** 20).toLocaleString('en-US')} MiB to train), more than the limit of ${MAX_PARAMETERS.toLocaleString('en-US')}`, 'use fewer units'));
  }
  throwIfAny(problems);
}

function problem(loaded: LoadedSpec, path: (string | number)[], message: string, hint?: string): SpecProblem {
  return { location: loaded.locate(path), path, message, hint };
}

function throwIfAny(problems: SpecProblem[]): void {
  if (problems.length > 0) throw new SpecError(problems);
}
