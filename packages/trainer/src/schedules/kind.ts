import type { EpochMetrics } from '@specml/data';
import type { FromSchema } from 'json-schema-to-ts';

/** Where a schedule is: the optimizer's rate, this epoch (1-based) of how many, and the rows of the epochs trained before it. */
export interface ScheduleMoment {
  readonly base: number;
  readonly epoch: number;
  readonly epochs: number;
  readonly earlier: readonly EpochMetrics[];
}

/**
 * One learning-rate schedule: its schema branch (its `type` and parameters with their defaults) and the rate
 * it gives an epoch. A function of the epoch and the rows before it, never of state, so that a resumed run
 * gets the same rates. One module per schedule under schedules/, listed in schedules/index.ts.
 */
export interface ScheduleKind<Schema extends { properties: { type: { const: string } } }> {
  readonly schema: Schema;
  rateAt(schedule: FromSchema<Schema>, moment: ScheduleMoment): number;
}
