/**
 * What every dataset kind produces. Inputs are either pixel bytes (0–255, row-major HWC, one example after
 * another; engines scale them by 1/255 like torchvision's ToTensor) or float features (a table's encoded
 * columns, used as they are).
 */
export interface ExampleSet {
  readonly inputs: Uint8Array | Float32Array;
  /** One class index per example, or for a regression one number per example (in the target's units). */
  readonly labels: Uint8Array | Float32Array;
  readonly count: number;
  /** The same inputs as their rows' kept entries, where the set was read that way (sparseSet: `inputs` is then made on first read). */
  readonly sparse?: SparseRows;
}

/**
 * A set's float inputs as the entries of each row that the dataset file keeps (a bag of words: a few dozen
 * of 12,000 a row): row r's entries are index/values[rowStart[r], rowStart[r + 1]), each index below
 * `width`, increasing within a row. The native engine reads this layout as it is.
 */
export interface SparseRows {
  readonly rowStart: Uint32Array;
  readonly index: Uint32Array;
  readonly values: Float32Array;
  /** Inputs per row. */
  readonly width: number;
}

/** A regression's target column and its training statistics (the engine trains on (y − mean) / std). */
export interface TargetStatistics {
  readonly name: string;
  readonly mean: number;
  readonly std: number;
}

/** How a table's columns became the model's input vector; saved in the run folder so predict encodes rows the same way. */
export interface TableEncoding {
  readonly target: string;
  readonly features: readonly TableColumn[];
  /** How the training file was written: predict and evaluate read new rows the same way. */
  readonly format?: TableFormat;
  /** How many different values each column of the training file holds (counted up to 257): which could be a target with N classes. */
  readonly distinctValues?: Readonly<Record<string, number>>;
}

/** How a table file is written: what the spec says, or what was found in the file (the delimiter). */
export interface TableFormat {
  /** Cell texts (trimmed) that mean missing; an empty cell always does. */
  readonly missing: readonly string[];
  /** The field separator; undefined: sniffed from the header row. */
  readonly delimiter?: string;
  /** `,` for decimal commas (1,5), as semicolon-separated spreadsheet exports write numbers. */
  readonly decimal: '.' | ',';
  readonly encoding: 'utf-8' | 'latin1' | 'utf-16';
}

export type TableColumn =
  /**
   * Standardised with the training rows' mean and standard deviation; a missing cell becomes `fill` (default
   * the mean, i.e. 0); with `indicator` one more input is 1 where the cell was missing.
   */
  | { readonly name: string; readonly type: 'number'; readonly mean: number; readonly std: number; readonly fill?: number; readonly indicator?: boolean }
  /** One input per training category; a category training never saw is all zeros, a missing one `fill`'s (default all zeros). */
  | { readonly name: string; readonly type: 'category'; readonly categories: readonly string[]; readonly fill?: string; readonly indicator?: boolean }
  /**
   * Free text over `vocabulary` (the training rows' most frequent tokens, most frequent first), tokenized with
   * `lowercase` and `ngrams`: a bag of words (`bag`; `idf`, one per token, for TF-IDF), or with `encoding:
   * sequence` its first `maxLength` tokens' ids (0 padding, 1 unknown, 2… the vocabulary). A missing cell has no tokens.
   */
  | {
      readonly name: string;
      readonly type: 'text';
      readonly vocabulary: readonly string[];
      readonly bag?: 'tfidf' | 'count' | 'multiHot';
      readonly idf?: readonly number[];
      readonly sublinearTf?: boolean;
      readonly encoding?: 'sequence';
      readonly maxLength?: number;
      readonly lowercase: boolean;
      readonly ngrams: number;
      /** The tokenizer's version (TOKENIZER_VERSION) that made the vocabulary. */
      readonly tokenizer: number;
      readonly indicator?: boolean;
    };

/** The cells of one text column for the test rows, in test order, each at most TEST_TEXT_LENGTH characters. */
export interface TestText {
  readonly column: string;
  readonly cells: readonly string[];
}

/** How much of a test row's text predictions.csv and the report show. */
export const TEST_TEXT_LENGTH = 200;

/** How missing cells are filled: numbers by the training mean or median, categories as none (all zeros) or the most frequent. */
export interface Imputation {
  readonly numbers: 'mean' | 'median';
  readonly categories: 'missing' | 'mostFrequent';
  /** A 0/1 input per column that had missing training cells (scikit-learn's SimpleImputer(add_indicator=True)). */
  readonly indicator: boolean;
}

export interface Dataset {
  /** The dataset kind, as `data.dataset` names it. */
  readonly name: string;
  readonly train: ExampleSet;
  /** Held out from the end of the training examples when the spec asks for a validation split. */
  readonly validation?: ExampleSet;
  readonly test: ExampleSet;
  /** [height, width, channels] for images, [features] for a table (a text read as a sequence: its maxLength token ids, then the other columns' encoding). */
  readonly inputShape: readonly number[];
  /** Where the inputs are a text's token ids (encoding: sequence): how many ids there are (padding, unknown, the vocabulary). */
  readonly vocabularySize?: number;
  /** Where a text's token ids are followed by the table's other columns: how many encoded values follow the ids in each row. */
  readonly sideFeatures?: number;
  /** Empty for a regression. */
  readonly classNames: readonly string[];
  /** For a regression: the target's training statistics. */
  readonly target?: TargetStatistics;
  /** For tables: how rows are encoded. */
  readonly table?: TableEncoding;
  /** A table with text: its first text column's cells of the test rows, shortened (TEST_TEXT_LENGTH), shown beside the predictions. */
  readonly testText?: TestText;
  /** Grey images whose high values are ink (MNIST-style digits and clothes): pictures draw them dark on white. Its kind says. */
  readonly inkOnPaper?: boolean;
  /** What loading found and changed, one line each, for `validate` (resized images, filled cells, …). */
  readonly notes: readonly string[];
}

/** Whether a dataset's inputs are images (pixel bytes with a height, width and channels). */
export function isImageDataset(dataset: Pick<Dataset, 'inputShape'>): boolean {
  return dataset.inputShape.length === 3;
}

/** The number of input values of one example. */
export function inputSize(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}
