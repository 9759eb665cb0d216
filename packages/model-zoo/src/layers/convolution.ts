import { activationSchema, l2Schema } from './kind.js';

/** The schema of a convolution kind named `type` (conv2d, conv1d): filters, a kernel, its stride and padding, an activation and an l2 penalty. */
export const convolutionSchema = <T extends string>(type: T, description: string, kernelSize: string, same: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['type', 'filters'],
    properties: {
      type: { const: type, description },
      filters: { type: 'integer', minimum: 1, maximum: 4096, description: 'Number of output channels.' },
      kernelSize: { type: 'integer', minimum: 1, maximum: 15, default: 3, description: kernelSize },
      strides: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Step of the kernel.' },
      padding: { enum: ['valid', 'same'], default: 'valid', description: `same keeps the ${same} (at stride 1); valid does not pad.` },
      activation: activationSchema,
      l2: l2Schema,
    },
  }) as const;
