import type { ScheduleKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'step', description: 'Multiplies the rate by `factor` every `everyEpochs` epochs.' },
    everyEpochs: { type: 'integer', minimum: 1, maximum: 10000, default: 1, description: 'Epochs between two steps.' },
    factor: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'The multiplier at each step.' },
  },
} as const;

export const step: ScheduleKind<typeof schema> = {
  schema,
  rateAt: ({ factor, everyEpochs }, { base, epoch }) => base * factor ** Math.floor((epoch - 1) / everyEpochs),
};
