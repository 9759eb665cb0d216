export {
  modelSpecSchema,
  denseLayerSchema,
  ACTIVATIONS,
  INITIALIZERS,
  type ModelSpec,
  type LayerSpec,
  type Activation,
  type InitializerName,
} from './schema.js';
export { DENSE_INITIALIZERS, type DenseWeights } from './initializers.js';
export {
  buildModel,
  denseStackOf,
  initialWeights,
  setDenseWeights,
  getDenseWeights,
  parameterCount,
  type DenseStack,
  type ModelInput,
} from './build.js';
