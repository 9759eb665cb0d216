import type { FromSchema } from 'json-schema-to-ts';
import { dataSpecSchema } from '@specml/data';
import { modelSpecSchema } from '@specml/model-zoo';
import { backendSpecSchema, optimizerSpecSchema, scheduleSpecSchema } from '@specml/trainer';

/**
 * The experiment spec: the one place every key is defined, with its default and its documentation. Each
 * package owns the fragment for what it builds (data, model, optimizer, backend); this composes them.
 * experiment.schema.json at the repository root is generated from it (`npm run schema`).
 */
export const experimentSpecSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'experiment.schema.json',
  title: 'specml experiment',
  description: 'One training run of a neural network on an image-classification dataset.',
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
    data: dataSpecSchema,
    model: modelSpecSchema,
    optimizer: optimizerSpecSchema,
    schedule: scheduleSpecSchema,
    batchSize: { type: 'integer', minimum: 1, maximum: 65536, default: 32, description: 'Training images per optimizer step.' },
    epochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1, description: 'Passes over the training set.' },
    sweep: {
      type: 'object',
      description:
        'Try several values: key paths mapped to lists, e.g. `optimizer.learningRate: [0.01, 0.001]`. The grid of all combinations runs as separate trials, each a normal run whose spec.yaml holds its values. `--sweep key=v1,v2` adds or replaces an entry from the command line.',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$' },
      additionalProperties: { type: 'array', minItems: 1, maxItems: 100 },
      minProperties: 1,
      maxProperties: 10,
    },
  },
} as const;

export type ExperimentSpec = FromSchema<typeof experimentSpecSchema>;
