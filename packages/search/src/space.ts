import seedrandom from 'seedrandom';

/** One searched key: a list of values, or a range with a distribution. */
export type Parameter =
  | { readonly kind: 'values'; readonly values: readonly unknown[] }
  | { readonly kind: 'uniform' | 'logUniform' | 'intUniform'; readonly min: number; readonly max: number };

/** The searched keys by key path (e.g. `optimizer.learningRate`), in the order they were declared. */
export type Space = Readonly<Record<string, Parameter>>;

/** One trial's values, by key path. */
export type Proposal = Record<string, unknown>;

export type Goal = 'maximize' | 'minimize';

/** A finished trial, as a searcher learns from it: its values and the metric it reached. */
export interface Observation {
  readonly proposal: Proposal;
  readonly value: number;
}

/** A seeded stream of uniforms in [0, 1). */
export type Uniform = () => number;

export function seededUniform(seed: string | number): Uniform {
  return seedrandom.alea(String(seed));
}

/** A value drawn from one parameter's prior. */
export function sampleParameter(parameter: Parameter, uniform: Uniform): unknown {
  switch (parameter.kind) {
    case 'values':
      return parameter.values[Math.min(parameter.values.length - 1, Math.floor(uniform() * parameter.values.length))];
    case 'uniform':
      return parameter.min + uniform() * (parameter.max - parameter.min);
    case 'logUniform':
      return Math.exp(Math.log(parameter.min) + uniform() * (Math.log(parameter.max) - Math.log(parameter.min)));
    case 'intUniform':
      return Math.min(parameter.max, parameter.min + Math.floor(uniform() * (parameter.max - parameter.min + 1)));
  }
}

/** Random search: every trial drawn independently from the priors. Proposal k is the same for the same seed. */
export function randomProposal(space: Space, uniform: Uniform): Proposal {
  return Object.fromEntries(Object.entries(space).map(([key, parameter]) => [key, sampleParameter(parameter, uniform)]));
}
