import type { FromSchema } from 'json-schema-to-ts';
import { DATASET_KINDS, DATASET_NAMES, DEFAULT_DATASET, type DatasetName } from './datasets/index.js';
import { COMMON_DATA_PROPERTIES } from './datasets/kind.js';
import type { UnionToIntersection } from './union-to-intersection.js';

/** The keys of every kind together (kinds that share a key, like `path`, share its schema). */
type KindProperties = UnionToIntersection<(typeof DATASET_KINDS)[DatasetName]['properties']>;
const kindProperties = Object.assign({}, ...DATASET_NAMES.map((name) => DATASET_KINDS[name].properties)) as KindProperties;

const describeKinds = () => DATASET_NAMES.map((name) => `${name}: ${DATASET_KINDS[name].schema.description}.`).join(' ');

/** Every kind's keys; each kind lists the ones it needs. */
const properties = {
  dataset: {
    enum: DATASET_NAMES as readonly DatasetName[],
    default: DEFAULT_DATASET,
    description: describeKinds(),
  },
  ...kindProperties,
  ...COMMON_DATA_PROPERTIES,
} as const;

/** The `data:` block of an experiment spec, composed from the dataset registry. The runner puts it into the full spec schema. */
export const dataSpecSchema = {
  type: 'object',
  description: 'What to train and test on: a built-in dataset, your own image folders or a CSV table.',
  additionalProperties: false,
  default: {},
  properties,
  allOf: DATASET_NAMES.filter((name) => DATASET_KINDS[name].required.length > 0).map((name) => ({
    if: { properties: { dataset: { const: name } }, required: ['dataset'] },
    then: { required: [...DATASET_KINDS[name].required] },
  })) as unknown as [],
} as const;

export type DataSpec = FromSchema<typeof dataSpecSchema>;
/** A `data:` block as code may write it: keys with defaults may be left out. */
export type DataSpecInput = FromSchema<typeof dataSpecSchema, { keepDefaultedPropertiesOptional: true }>;
