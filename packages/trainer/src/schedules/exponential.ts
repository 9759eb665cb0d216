import type { ScheduleKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'exponential', description: 'Multiplies the rate by `factor` after every epoch.' },
    factor: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.9, description: 'The multiplier per epoch.' },
  },
} as const;

export const exponential: ScheduleKind<typeof schema> = {
  schema,
  rateAt: ({ factor }, { base, epoch }) => base * factor ** (epoch - 1),
};
