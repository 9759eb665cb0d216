export {
  modelSpecSchema,
  layerSchema,
  ACTIVATIONS,
  INITIALIZERS,
  LAYER_TYPES,
  PRESET_NAMES,
  type ModelSpec,
  type LayerSpec,
  type DenseLayerSpec,
  type Activation,
  type InitializerName,
  type PresetName,
} from './schema.js';
export { PRESETS, PRESET_KEYS, type Preset } from './presets.js';
export { LAYER_KINDS } from './layers/index.js';
export { ACTIVATION_KINDS } from './activations/index.js';
export { type DenseWeights } from './initializers.js';
export {
  buildModel,
  denseStackOf,
  isDenseStack,
  initialWeights,
  planLayers,
  tokensAt,
  joinIndexOf,
  setModelWeights,
  modelSummary,
  formatModelSummary,
  getModelWeights,
  parameterCount,
  forwardMultiplyAdds,
  layerMultiplyAdds,
  logitsOf,
  type DenseStack,
  type ModelInput,
  type ModelWeights,
  type LayerPlan,
} from './build.js';
export { describeRawInputs, exportOnnx, ONNX_NAMES, ONNX_OPSET, onnxMetadataOf, onnxOutputOf, type OnnxExportOptions } from './onnx-export.js';
export { rawInputsOf, rawRowsSupported, type RawColumnInput } from './onnx-table.js';
