import type { FromSchema } from 'json-schema-to-ts';
import { INITIALIZER_DESCRIPTIONS, INITIALIZERS } from './initializers.js';
import { LAYER_TYPES, layerVariants } from './layers/index.js';

export { ACTIVATIONS, type Activation } from './layers/kind.js';
export { INITIALIZERS, type InitializerName } from './initializers.js';
export { LAYER_TYPES } from './layers/index.js';

export const layerSchema = {
  type: 'object',
  description: 'One layer; `type` picks the kind (default dense), the other keys are its settings.',
  required: ['type'],
  properties: { type: { enum: LAYER_TYPES, default: 'dense', description: 'The layer type.' } },
  discriminator: { propertyName: 'type' },
  oneOf: layerVariants,
} as const;

export const PRESET_NAMES = ['mlp-tutorial', 'lenet5'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The `model:` block of an experiment spec. */
export const modelSpecSchema = {
  type: 'object',
  description: 'The network: layers applied in order to the image. A preset fills in layers and initializer; keys written next to it, --set and sweeps override them key by key.',
  additionalProperties: false,
  required: ['layers'],
  properties: {
    preset: {
      enum: PRESET_NAMES,
      description: 'mlp-tutorial: 784 → 64 → 64 → 64 → 10, ReLU, PyTorch init (the beginner tutorial). lenet5: LeCun\'s convolutional net (6 and 16 5×5 filters, pooling, 120 → 84 → 10).',
    },
    layers: { type: 'array', minItems: 1, maxItems: 64, items: layerSchema, description: 'The layers, input to output.' },
    initializer: {
      enum: INITIALIZERS,
      default: 'pytorch',
      description: `How weights start. ${INITIALIZER_DESCRIPTIONS.join('. ')}. Drawn from the spec's seed.`,
    },
  },
} as const;

export type ModelSpec = FromSchema<typeof modelSpecSchema>;
export type LayerSpec = ModelSpec['layers'][number];
export type DenseLayerSpec = Extract<LayerSpec, { type: 'dense' }>;
