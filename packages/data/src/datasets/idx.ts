import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { loadIdxFolder } from './idx-files.js';
import { datasetKind, IMAGE_PROPERTIES, PATH_PROPERTY } from './kind.js';

export const idx = datasetKind({
  schema: { const: 'idx', description: 'any folder (see `path`) holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or .gz' },
  inkOnPaper: true,
  numericTargets: false,
  properties: { path: PATH_PROPERTY, ...IMAGE_PROPERTIES },
  required: ['path'],
  load: async (spec, { baseDir }) => {
    const folder = resolve(baseDir, spec.path ?? '.');
    if (!existsSync(folder)) {
      throw new UserError(`data.path: the folder ${folder} does not exist (it should hold the four IDX files)`);
    }
    return loadIdxFolder('idx', folder);
  },
});
