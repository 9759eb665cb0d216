export { UserError, isUserError } from './errors.js';
export { parseIdx, readIdxFile, encodeIdx, describeFsError, type IdxArray } from './idx.js';
export { loadDataset, mnistDirectory, FASHION_MNIST_DIR, type Dataset, type ImageSet } from './datasets.js';
export { createRng, randomPermutation, normalSample, type Rng, type RngState } from './random.js';
export { fillBatch, imagesAsFloats } from './batches.js';
export { dataSpecSchema, type DataSpec } from './schema.js';
export { toMnistInput, inkOf, MNIST_SIDE, type RgbaImage } from './digit-preprocess.js';
export { isSafeName, checkedName, isInside, removeInside, renameInside, readRegularFile, UnreadableFileError, MAX_NAME_LENGTH, MAX_RECORD_BYTES } from './safe-files.js';
export { METRICS_COLUMNS, VALIDATION_COLUMNS, isMetricColumn, metricValue, type MetricColumn, type EpochMetrics } from './metrics-row.js';
