import type * as tf from '@tensorflow/tfjs-core';
import type { FromSchema } from 'json-schema-to-ts';

export const learningRateSchema = {
  type: 'number',
  exclusiveMinimum: 0,
  maximum: 10,
  description: 'Step size.',
} as const;

/**
 * One optimizer: its schema branch (its `name` and parameters with their defaults) and the tfjs optimizer
 * it is on the tfjs engines. One module per optimizer under optimizers/, listed in optimizers/index.ts;
 * the native engine has its own file per optimizer in native/optim/.
 */
export interface OptimizerKind<Schema extends { properties: { name: { const: string } } }> {
  readonly schema: Schema;
  tfjs(spec: FromSchema<Schema>): tf.Optimizer;
}
