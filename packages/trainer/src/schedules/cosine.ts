import type { ScheduleKind } from './kind.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'cosine', description: 'Follows half a cosine from the rate down to `minLearningRate` in the last epoch.' },
    minLearningRate: { type: 'number', minimum: 0, default: 0, description: 'The rate the curve ends at.' },
  },
} as const;

export const cosine: ScheduleKind<typeof schema> = {
  schema,
  rateAt: ({ minLearningRate }, { base, epoch, epochs }) => {
    const progress = epochs > 1 ? (epoch - 1) / (epochs - 1) : 0;
    return minLearningRate + ((base - minLearningRate) * (1 + Math.cos(Math.PI * progress))) / 2;
  },
};
