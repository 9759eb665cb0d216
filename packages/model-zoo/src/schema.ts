import type { FromSchema } from 'json-schema-to-ts';

export const ACTIVATIONS = ['relu', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'softmax', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const INITIALIZERS = ['pytorch', 'glorotUniform', 'heNormal'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];

export const LAYER_TYPES = ['dense', 'conv2d', 'maxPooling2d', 'flatten', 'dropout', 'batchNormalization'] as const;

const activation = {
  enum: ACTIVATIONS,
  default: 'linear',
  description: 'Applied to the layer\'s output (leakyRelu uses α = 0.2). The last layer must be softmax: training minimises softmax cross-entropy (PyTorch\'s log_softmax + nll_loss).',
} as const;

const l2 = { type: 'number', minimum: 0, maximum: 1, description: 'L2 penalty on the kernel: adds l2 · Σ w² to the loss. Default: none.' } as const;

/** One entry per layer type: its schema branch. Adding a layer is an entry here and one in the builder's table. */
export const layerSchemas = {
  dense: {
    type: 'object',
    additionalProperties: false,
    required: ['units'],
    properties: {
      type: { const: 'dense', description: 'Fully connected on the previous output (flattened first when it is an image).' },
      units: { type: 'integer', minimum: 1, maximum: 65536, description: 'Number of output units.' },
      activation,
      l2,
    },
  },
  conv2d: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'filters'],
    properties: {
      type: { const: 'conv2d', description: '2-D convolution over an image-shaped input.' },
      filters: { type: 'integer', minimum: 1, maximum: 4096, description: 'Number of output channels.' },
      kernelSize: { type: 'integer', minimum: 1, maximum: 15, default: 3, description: 'Side of the square kernel.' },
      strides: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Step of the kernel.' },
      padding: { enum: ['valid', 'same'], default: 'valid', description: 'same keeps the image size (at stride 1); valid does not pad.' },
      activation,
      l2,
    },
  },
  maxPooling2d: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: 'maxPooling2d', description: 'Maximum over square windows of an image-shaped input.' },
      poolSize: { type: 'integer', minimum: 1, maximum: 8, default: 2, description: 'Side of the window.' },
      strides: { type: 'integer', minimum: 1, maximum: 8, description: 'Step of the window. Default: poolSize.' },
    },
  },
  flatten: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { const: 'flatten', description: 'Flattens an image-shaped output into a vector (added automatically before a dense layer).' } },
  },
  dropout: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'rate'],
    properties: {
      type: { const: 'dropout', description: 'During training, zeroes a random fraction of the values (seeded by the spec\'s seed).' },
      rate: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'The fraction dropped.' },
    },
  },
  batchNormalization: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { const: 'batchNormalization', description: 'Normalises each channel by batch statistics while training and by running averages after.' },
      momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.99, description: 'Decay of the running averages.' },
      epsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.001, description: 'Added to the variance.' },
    },
  },
} as const;

export const layerSchema = {
  type: 'object',
  description: 'One layer; `type` picks the kind (default dense), the other keys are its settings.',
  required: ['type'],
  properties: { type: { enum: LAYER_TYPES, default: 'dense', description: 'The layer type.' } },
  discriminator: { propertyName: 'type' },
  oneOf: [layerSchemas.dense, layerSchemas.conv2d, layerSchemas.maxPooling2d, layerSchemas.flatten, layerSchemas.dropout, layerSchemas.batchNormalization],
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
      description:
        'How weights start. pytorch: weights and biases uniform in ±1/√fan_in (torch.nn.Linear\'s and Conv2d\'s default). glorotUniform: Keras\' default, zero biases. heNormal: normal with std √(2/fan_in), zero biases. Drawn from the spec\'s seed.',
    },
  },
} as const;

export type ModelSpec = FromSchema<typeof modelSpecSchema>;
export type LayerSpec = ModelSpec['layers'][number];
export type DenseLayerSpec = Extract<LayerSpec, { type: 'dense' }>;
