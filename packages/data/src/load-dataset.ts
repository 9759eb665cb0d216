import type { Dataset } from './dataset.js';
import { DATASET_KINDS, DEFAULT_DATASET } from './datasets/index.js';
import type { DatasetKind, LoadContext } from './datasets/kind.js';
import { foldSplit, limited, splitOff } from './datasets/split.js';
import type { DataSpecInput } from './schema.js';
import { UserError } from './errors.js';

/** A kind's whole dataset: every training and test example, before limits and the validation split. */
export type WholeDataset = Omit<Dataset, 'validation'>;

export interface LoadOptions extends Partial<LoadContext> {
  /** The whole dataset, decoded elsewhere (a queue's coordinator ships it to workers that lack the files). */
  readonly whole?: WholeDataset;
}

/** Whether a kind reads files the spec names (`path`), which a worker on another machine may not have. */
export const readsUserFiles = (spec: Pick<DataSpecInput, 'dataset'>) => 'path' in DATASET_KINDS[spec.dataset ?? DEFAULT_DATASET].properties;

/** What the spec's kind loads, before limits and the validation split. */
export async function loadWholeDataset(spec: DataSpecInput, context: Partial<LoadContext> = {}): Promise<WholeDataset> {
  // The spec was checked against the schema of the kind it names, so that kind's loader reads it; TypeScript
  // cannot narrow a union of kinds by the name, hence the general kind.
  const kind = DATASET_KINDS[spec.dataset ?? DEFAULT_DATASET] as unknown as DatasetKind;
  const warn = context.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const task = context.task ?? 'classification';
  if (task === 'regression' && !kind.numericTargets) throw new UserError(`task: regression predicts a number from a table's column; dataset ${spec.dataset ?? DEFAULT_DATASET} has classes only (use dataset: csv with a numeric target)`);
  return kind.load(spec as never, { baseDir: context.baseDir ?? process.cwd(), warn, task, onListed: context.onListed, onReading: context.onReading });
}

/**
 * Loads the dataset a spec's `data:` block describes: its kind's loader, then the limits and the validation
 * split every kind shares. Every problem with the files is a UserError naming the file (or `file:line`).
 */
export async function loadDataset(spec: DataSpecInput, options: LoadOptions = {}): Promise<Dataset> {
  const whole = options.whole ?? (await loadWholeDataset(spec, options));
  const training = limited(whole.train, spec.trainLimit);
  // A member of a cross-validated run validates on its fold; otherwise the last validationSplit of the rows.
  const [train, validation] = spec.folds !== undefined && spec.fold !== undefined ? foldSplit(training, spec.folds, spec.fold, whole.target === undefined) : splitOff(training, spec.validationSplit);
  const { inkOnPaper } = DATASET_KINDS[spec.dataset ?? DEFAULT_DATASET];
  const test = limited(whole.test, spec.testLimit);
  const testText = whole.testText && { ...whole.testText, cells: whole.testText.cells.slice(0, test.count) };
  return { ...whole, train, validation, test, inkOnPaper, ...(testText ? { testText } : {}) };
}
