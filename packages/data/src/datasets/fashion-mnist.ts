import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { loadIdxFolder } from './idx-files.js';
import { datasetKind, IMAGE_PROPERTIES } from './kind.js';

/** Where Debian's dataset-fashion-mnist package puts the files; SPECML_FASHION_MNIST_DIR points elsewhere. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const fashionMnist = datasetKind({
  schema: { const: 'fashion-mnist', description: "Zalando's clothing images from Debian's dataset-fashion-mnist package" },
  inkOnPaper: true,
  numericTargets: false,
  properties: IMAGE_PROPERTIES,
  required: [],
  load: async () => {
    const folder = process.env.SPECML_FASHION_MNIST_DIR || FASHION_MNIST_DIR;
    if (!existsSync(folder)) {
      throw new UserError(`data.dataset: fashion-mnist reads ${folder}, which does not exist (install it with: sudo apt-get install dataset-fashion-mnist)`);
    }
    return loadIdxFolder('fashion-mnist', folder, CLASSES);
  },
});
