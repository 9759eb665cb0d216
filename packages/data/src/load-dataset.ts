import type { Dataset } from './dataset.js';
import { DATASET_KINDS } from './datasets/index.js';
import type { DatasetKind, LoadContext } from './datasets/kind.js';
import { limited, splitOff } from './datasets/split.js';
import type { DataSpecInput } from './schema.js';

/**
 * Loads the dataset a spec's `data:` block describes: its kind's loader, then the limits and the validation
 * split every kind shares. Every problem with the files is a UserError naming the file (or `file:line`).
 */
export async function loadDataset(spec: DataSpecInput, context: Partial<LoadContext> = {}): Promise<Dataset> {
  const kind = DATASET_KINDS[spec.dataset ?? 'mnist'] as unknown as DatasetKind;
  const warn = context.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const whole = await kind.load(spec as never, { baseDir: context.baseDir ?? process.cwd(), warn });
  const [train, validation] = splitOff(limited(whole.train, spec.trainLimit), spec.validationSplit);
  return { ...whole, train, validation, test: limited(whole.test, spec.testLimit) };
}
