import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from './schema.js';

type Variant<Name extends OptimizerSpec['name']> = Extract<OptimizerSpec, { name: Name }>;

/** One builder per optimizer name: adding one is an entry here plus its branch in the schema. */
const TFJS_OPTIMIZERS: { [Name in OptimizerSpec['name']]: (spec: Variant<Name>) => tf.Optimizer } = {
  adam: (spec) => tf.train.adam(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon),
  sgd: (spec) => tf.train.sgd(spec.learningRate),
  momentum: (spec) => tf.train.momentum(spec.learningRate, spec.momentum, spec.nesterov),
  rmsprop: (spec) => tf.train.rmsprop(spec.learningRate, spec.decay, spec.momentum, spec.epsilon),
};

export function createTfjsOptimizer(spec: OptimizerSpec): tf.Optimizer {
  return (TFJS_OPTIMIZERS[spec.name] as (spec: OptimizerSpec) => tf.Optimizer)(spec);
}
