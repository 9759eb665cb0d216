// The metrics row is defined once, in @specml/data, for the trainer that produces it and every reader.
export type { EpochMetrics } from '@specml/data';
