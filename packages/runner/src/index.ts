export { experimentSpecSchema, type ExperimentSpec } from './spec-schema.js';
export { loadSpec, applyOverrides, parseOverride, type LoadedSpec, type KeyPath } from './load-spec.js';
export { SpecError, formatProblem, formatKeyPath, type SpecProblem, type SpecLocation } from './user-errors.js';
export { runExperiment, prepareExperiment, type RunOutcome, type RunSummary, type RunStatus, type ExperimentOptions } from './run-experiment.js';
export { checkSpec, checkSpecAgainstData, MAX_PARAMETERS } from './semantic-checks.js';
export { newRunId, createRunFolder, writeFileAtomic } from './run-folder.js';
export { predictImageFiles, describePrediction, type ImagePrediction, type PredictOutcome } from './predict.js';
export { startDrawServer, type DrawServer } from './serve.js';
