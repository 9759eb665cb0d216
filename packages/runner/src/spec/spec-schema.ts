import type { FromSchema } from 'json-schema-to-ts';
import { dataSpecSchema, scoreColumnsOf, TASKS, type UnionToIntersection } from '@specml/data';
import { modelSpecSchema } from '@specml/model-zoo';
import { SEARCH_METHOD_NAMES, SEARCH_METHODS, type SearchMethodName } from '@specml/search';
import { backendSpecSchema, earlyStoppingSpecSchema, lossSpecSchema, optimizerSpecSchema, scheduleSpecSchema, taskSpecSchema } from '@specml/trainer';

/** The metrics.csv columns a sweep can choose on: every task's, but the epoch and the timings. */
const SWEEP_METRICS = [...new Set(TASKS.flatMap(scoreColumnsOf))];

/** The sweep keys of every search method (bayes' multivariate, …), from the registry. */
const methodOptions = Object.assign({}, ...SEARCH_METHOD_NAMES.map((name) => SEARCH_METHODS[name].options)) as UnionToIntersection<(typeof SEARCH_METHODS)[SearchMethodName]['options']>;

/**
 * The experiment spec: the one place every key is defined, with its default and its documentation. Each
 * package owns the fragment for what it builds (data, model, optimizer, backend); this composes them.
 * experiment.schema.json at the repository root is generated from it (`npm run schema`).
 */
export const experimentSpecSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'experiment.schema.json',
  title: 'specml experiment',
  description: 'One training run of a neural network: a classifier or a regression, on images or a table.',
  type: 'object',
  additionalProperties: false,
  required: ['model'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      maxLength: 100,
      description: 'Folder name under the runs dir. Default: the spec file\'s name without .yaml.',
    },
    description: { type: 'string', description: 'Free text, kept in the resolved spec.' },
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
      default: 1,
      description: 'Seeds weight initialisation and shuffling: the same spec and seed on the same backend give the same metrics.',
    },
    backend: backendSpecSchema,
    task: taskSpecSchema,
    data: dataSpecSchema,
    model: modelSpecSchema,
    optimizer: optimizerSpecSchema,
    loss: lossSpecSchema,
    schedule: scheduleSpecSchema,
    earlyStopping: earlyStoppingSpecSchema,
    batchSize: { type: 'integer', minimum: 1, maximum: 65536, default: 32, description: 'Training images per optimizer step.' },
    epochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1, description: 'Passes over the training set.' },
    repeats: {
      type: 'integer',
      minimum: 1,
      maximum: 20,
      default: 1,
      description: 'Train the spec this many times, with seeds seed, seed + 1, …: one member run each (with data.folds, each seed with each fold), and the run reports the mean and 95 % interval of their results, so that two runs can be told apart from noise (compare says whether they can).',
    },
    sweep: {
      type: 'object',
      description:
        'Try several values. The grid shorthand maps key paths to lists, e.g. `optimizer.learningRate: [0.01, 0.001]`: every combination runs as its own trial, a normal run whose spec.yaml holds its values (`--sweep key=v1,v2` adds or replaces an entry). The full form (with `method` or `parameters`) also searches ranges at random or with a Bayesian search (TPE), and can stop losing trials early.',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$' },
      additionalProperties: { type: 'array', minItems: 1, maxItems: 100 },
      minProperties: 1,
      maxProperties: 10,
      properties: {
        method: {
          enum: SEARCH_METHOD_NAMES as readonly SearchMethodName[],
          description: `${SEARCH_METHOD_NAMES.map((name) => `${name}: ${SEARCH_METHODS[name].schema.description}.`).join(' ')} Draws come from the spec's seed.`,
        },
        ...methodOptions,
        trials: { type: 'integer', minimum: 1, maximum: 256, description: 'How many trials random and bayes run in all.' },
        refit: {
          type: 'boolean',
          description: 'After the search, train the chosen trial\'s settings once more on the training and validation rows together, for as many epochs as its best validation epoch, and report that run\'s test score as the sweep\'s result (scikit-learn\'s refit): a run folder <sweep-id>-refit beside the trials, marked refit in its summary.json. Needs data.validationSplit or data.folds. Default: false.',
        },
        metric: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          description: 'What the search optimises and early stopping compares: a metrics.csv column at a trial\'s last epoch. Default: validation_accuracy (a regression: validation_rmse) with a validation split, else test_accuracy (test_rmse).',
          properties: {
            name: { enum: SWEEP_METRICS, description: 'The metrics.csv column (of the spec\'s task).' },
            goal: { enum: ['maximize', 'minimize'], description: 'Whether larger or smaller is better. Default: maximize accuracy and r2, minimize losses and errors.' },
          },
        },
        parameters: {
          type: 'object',
          minProperties: 1,
          maxProperties: 10,
          description: 'The full form\'s key paths, each mapped to a list of values, `{ values: [...] }`, or a range `{ min, max, distribution }` with distribution uniform (the default), logUniform or intUniform.',
          propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$' },
        },
        earlyStop: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          description: 'Stops losing trials early by asynchronous successive halving (ASHA): at minEpochs·eta^k epochs a trial whose metric is not in the top 1/eta of the trials that got there stops, keeping a complete run folder with status stopped.',
          properties: {
            type: { enum: ['asha', 'hyperband'], description: 'asha: asynchronous successive halving, as Ray Tune\'s ASHA. hyperband: its former name here, still accepted (specml runs no Hyperband brackets).' },
            minEpochs: { type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'The first rung, in epochs.' },
            eta: { type: 'integer', minimum: 2, maximum: 10, default: 3, description: 'The reduction factor between rungs.' },
          },
        },
      },
    },
  },
} as const;

export type ExperimentSpec = FromSchema<typeof experimentSpecSchema>;
