import type { FromSchema } from 'json-schema-to-ts';

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'softmax', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const INITIALIZERS = ['pytorch', 'glorotUniform', 'heNormal'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];

export const denseLayerSchema = {
  type: 'object',
  description: 'A fully connected layer on the previous layer\'s output (the image is flattened first).',
  additionalProperties: false,
  required: ['units'],
  properties: {
    type: { const: 'dense', default: 'dense', description: 'The layer type.' },
    units: { type: 'integer', minimum: 1, maximum: 65536, description: 'Number of output units.' },
    activation: {
      enum: ACTIVATIONS,
      default: 'linear',
      description: 'Applied to the layer\'s output. The last layer must be softmax: training minimises softmax cross-entropy (PyTorch\'s log_softmax + nll_loss).',
    },
  },
} as const;

/** The `model:` block of an experiment spec. */
export const modelSpecSchema = {
  type: 'object',
  description: 'The network: layers applied in order to the flattened image.',
  additionalProperties: false,
  required: ['layers'],
  properties: {
    layers: { type: 'array', minItems: 1, maxItems: 64, items: denseLayerSchema, description: 'The layers, input to output.' },
    initializer: {
      enum: INITIALIZERS,
      default: 'pytorch',
      description:
        'How weights start. pytorch: weights and biases uniform in ±1/√fan_in (torch.nn.Linear\'s default). glorotUniform: Keras\' default, zero biases. heNormal: normal with std √(2/fan_in), zero biases. Drawn from the spec\'s seed.',
    },
  },
} as const;

export type ModelSpec = FromSchema<typeof modelSpecSchema>;
export type LayerSpec = FromSchema<typeof denseLayerSchema>;
