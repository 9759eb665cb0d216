import { normalSample, type Rng } from '@specml/data';
/** The ways a spec's weights can start (model.initializer). */
export const INITIALIZERS = ['pytorch', 'glorotUniform', 'heNormal'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];

/** Initial values of one dense layer: kernel [fanIn × units] row-major (tfjs' layout) and bias [units]. */
export interface DenseWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

type DenseInitializer = (fanIn: number, units: number, rng: Rng) => DenseWeights;

const uniform = (length: number, bound: number, rng: Rng) =>
  Float32Array.from({ length }, () => (2 * rng.next() - 1) * bound);

/** One entry per initializer name: adding one is one line here plus its enum value in the schema. */
export const DENSE_INITIALIZERS: Record<InitializerName, DenseInitializer> = {
  // torch.nn.Linear.reset_parameters: kaiming_uniform_(a=√5) gives bound 1/√fan_in for weights, and the
  // bias uses the same bound.
  pytorch: (fanIn, units, rng) => {
    const bound = 1 / Math.sqrt(fanIn);
    return { kernel: uniform(fanIn * units, bound, rng), bias: uniform(units, bound, rng) };
  },
  glorotUniform: (fanIn, units, rng) => ({
    kernel: uniform(fanIn * units, Math.sqrt(6 / (fanIn + units)), rng),
    bias: new Float32Array(units),
  }),
  heNormal: (fanIn, units, rng) => {
    const std = Math.sqrt(2 / fanIn);
    return { kernel: Float32Array.from({ length: fanIn * units }, () => normalSample(rng) * std), bias: new Float32Array(units) };
  },
};
