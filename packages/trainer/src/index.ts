export { optimizerSpecSchema, backendSpecSchema, scheduleSpecSchema, learningRateAt, BACKENDS, type OptimizerSpec, type BackendChoice, type ScheduleSpec } from './schema.js';
export { selectBackend, activateTfjsBackend, loadNativeAddon, type BackendSelection, type BackendName, type TfjsBackendName } from './backend.js';
export { train, predictImages, TrainingDivergedError, type TrainRequest, type TrainResult, type TrainTimings, type TrainCallbacks, type EpochMetrics } from './train.js';
export { saveModel, loadModel } from './model-io.js';
export { NativeEngine, buildNativeNetwork, nativeNetworkOptions } from './native-engine.js';
export { TfjsEngine } from './tfjs-engine.js';
export { LayersEngine } from './layers-engine.js';
export type { TrainingEngine, Score } from './engine.js';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint, type OptimizerState } from './checkpoint.js';
