import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { AUGMENT_PROPERTY } from '../augment.js';
import type { Dataset } from '../dataset.js';
import type { Task } from '../metrics-row.js';
import type { ReadingProgress } from '../table.js';

/** The keys of `data:` that every dataset kind accepts. */
export const COMMON_DATA_PROPERTIES = {
  trainLimit: {
    type: 'integer',
    minimum: 1,
    description: 'Use only the first N training examples (quick experiments). Default: all.',
  },
  testLimit: {
    type: 'integer',
    minimum: 1,
    description: 'Use only the first N test examples. Default: all.',
  },
  validationSplit: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 0.5,
    description: 'Hold out this fraction of the training examples (the last ones, after trainLimit) as a validation set, evaluated after every epoch (validation_loss and validation_accuracy columns). Default: none.',
  },
  folds: {
    type: 'integer',
    minimum: 2,
    maximum: 20,
    description: 'Cross-validation: split the training examples into this many folds (stratified by class, always the same folds) and train one member run per fold, validating on it; the run reports the mean and spread of its members. Instead of validationSplit.',
  },
  fold: {
    type: 'integer',
    minimum: 1,
    maximum: 20,
    description: 'Which fold a member run validates on (1 to folds). Set by specml for each member of a run with folds; leave it out.',
  },
  classWeights: {
    description: 'Classification: weigh each class in the training loss (Keras\' class_weight), so that rare classes count: `balanced` (scikit-learn\'s n_samples / (n_classes × count of the class), from the training examples) or a map of class name to weight (others 1). The reported train_loss stays the plain cross-entropy. Default: none.',
    anyOf: [
      { const: 'balanced' },
      { type: 'object', minProperties: 1, maxProperties: 256, additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 1000000 } },
    ],
  },
  shuffle: {
    type: 'boolean',
    default: true,
    description: 'Reshuffle the training examples every epoch, from the spec\'s seed.',
  },
} as const;

/** The keys every image dataset kind has. */
export const IMAGE_PROPERTIES = { augment: AUGMENT_PROPERTY } as const;

/** The files a dataset is read from, shared by the kinds that read the user's own files. */
export const PATH_PROPERTY = {
  type: 'string',
  minLength: 1,
  description: "idx: the folder holding the four IDX files. imageFolder: the folder with one sub-folder of images per class. csv: the CSV file of training rows. Relative paths resolve from the spec file's folder.",
} as const;

export const TEST_PROPERTIES = {
  testPath: {
    type: 'string',
    minLength: 1,
    description: 'imageFolder, csv: the test examples, laid out like `path`. Without it, `testSplit` of the training examples is held out.',
  },
  testSplit: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 0.5,
    description: 'imageFolder, csv without testPath: the fraction of each class held out as the test set, drawn with a fixed seed (the same split for every run and seed). Default: 0.2.',
  },
} as const;

/** The `data:` block as one kind reads it: its own keys and the common ones. */
export type DataSpecOf<Properties> = FromSchema<{
  type: 'object';
  properties: Properties & typeof COMMON_DATA_PROPERTIES & { dataset: { type: 'string' } };
  required: ['dataset'];
}>;

export interface LoadContext {
  /** Where relative paths start: the spec file's folder. */
  readonly baseDir: string;
  /** What the model predicts: classes, or (a kind that can) a number. */
  readonly task: Task;
  /** One sentence about the data that is not an error (non-image files skipped, unseen categories). */
  readonly warn: (message: string) => void;
  /**
   * Told, by a kind that lists files before decoding them, at most how many training examples there will be:
   * the caller may refuse the spec (a batch larger than that) before the slow part. It throws to refuse.
   */
  readonly onListed?: (trainingExamples: number) => void;
  /** Told how far reading a large table file has come (a terminal shows it). */
  readonly onReading?: ReadingProgress;
}

/**
 * One dataset kind: the `data:` keys it adds to the spec schema, which of them it needs, and its loader.
 * Adding a kind is one module plus an entry in datasets/index.ts.
 */
export interface DatasetKind<Properties extends Record<string, JSONSchema> = Record<string, JSONSchema>, Name extends string = string> {
  /** Its `data.dataset` value, and one sentence for the schema, the editor and the README. */
  readonly schema: { readonly const: Name; readonly description: string };
  /**
   * Grey images whose high values are ink (MNIST-style digits and clothes): pictures draw them dark on white,
   * and `predict` prepares any photo the way MNIST was made (the ink found, centred by its mass).
   */
  readonly inkOnPaper: boolean;
  /** Whether it can give a number to predict (task: regression), not only classes. */
  readonly numericTargets: boolean;
  readonly properties: Properties;
  /** Keys this kind cannot do without (JSON Schema `required`, with each key's description as the hint). */
  readonly required: readonly (keyof Properties & string)[];
  /** The whole dataset, before limits and the validation split (which every kind shares). */
  load(spec: DataSpecOf<Properties>, context: LoadContext): Promise<Omit<Dataset, 'validation'>>;
}

/** A kind whose keys are checked against its own schema fragment. */
export function datasetKind<const Properties extends Record<string, JSONSchema>, const Name extends string>(kind: DatasetKind<Properties, Name>): DatasetKind<Properties, Name> {
  return kind;
}
