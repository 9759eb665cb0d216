import { randomProposal, type Goal, type Observation, type Parameter, type Proposal, type Space, type Uniform } from './space.js';

/**
 * The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl, "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS 2011), as Optuna's TPESampler builds it (read in Optuna 3.1's source, re-measured
 * here against it by `bench --searchers`): the finished trials are split into the best few and the rest;
 * each part becomes a mixture of kernels, one per trial plus a wide prior, l(x) and g(x); candidates are
 * drawn from l and the one with the largest l(x)/g(x) is proposed. Independently per key (each key its own
 * mixture, as hyperopt and Optuna do by default), or jointly (`multivariate`: one kernel per trial for all
 * keys at once, Falkner et al. 2018), which follows keys that matter together. Pure: history in, proposal out.
 */
export interface TpeOptions {
  /** Trials drawn at random before the model is used: the first ones proposed, finished or still running. */
  readonly startupTrials: number;
  /** Candidates drawn from l(x) per proposal. */
  readonly candidates: number;
  /** One joint density over all keys instead of one per key. */
  readonly multivariate: boolean;
  /** The weight of the prior kernel, against 1 for each trial. */
  readonly priorWeight: number;
}

/** Chosen by measurement (bench --searchers; see the README's table). */
export const TPE_DEFAULTS: TpeOptions = { startupTrials: 10, candidates: 24, multivariate: true, priorWeight: 1 };

/** How many of `n` finished trials count as good: 10 % of them, at least one, at most 25 (Optuna's default gamma). */
export const goodCount = (n: number) => Math.min(Math.ceil(0.1 * n), 25);

/**
 * Trial weights, oldest first: equal up to 25 trials; beyond, the most recent 25 weigh 1 and the older ones
 * less and less (a search moves on; Optuna's default_weights).
 */
export function trialWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const older = n - 25;
  return [...Array.from({ length: older }, (_, i) => (older === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (older - 1))), ...new Array<number>(25).fill(1)];
}

/**
 * `pending`: proposals of trials still running (parallel workers). They count as finished with the worst
 * value seen so far (a constant liar, as Optuna's constant_liar): their region is one of the bad ones until
 * they report, so two workers are not sent to the same place.
 */
export function tpeProposal(space: Space, history: readonly Observation[], goal: Goal, uniform: Uniform, options: TpeOptions = TPE_DEFAULTS, pending: readonly Proposal[] = []): Proposal {
  const observed = history.filter((observation) => Number.isFinite(observation.value));
  // The start-up counts trials proposed, not only finished: with several workers, the model is used from the
  // same trial on as with one (measured: it narrows the gap between 2 workers and 1 on every bench problem).
  if (observed.length + pending.length < options.startupTrials || observed.length === 0) return randomProposal(space, uniform);
  const worst = goal === 'maximize' ? Math.min(...observed.map((observation) => observation.value)) : Math.max(...observed.map((observation) => observation.value));
  // Oldest first (the weights favour recent trials); the pending ones are the most recent.
  const finished = [...observed, ...pending.map((proposal) => ({ proposal, value: worst }))];
  const order = finished.map((_, index) => index).sort((a, b) => (goal === 'maximize' ? finished[b].value - finished[a].value : finished[a].value - finished[b].value) || a - b);
  const good = new Set(order.slice(0, Math.max(1, goodCount(finished.length))));
  const below = finished.filter((_, index) => good.has(index)).map((observation) => observation.proposal);
  const above = finished.filter((_, index) => !good.has(index)).map((observation) => observation.proposal);
  const l = new Mixture(space, below, options);
  const g = new Mixture(space, above, options);
  if (options.multivariate) {
    let best: Proposal = {};
    let bestScore = -Infinity;
    for (let c = 0; c < options.candidates; c++) {
      const candidate = l.sample(uniform);
      const score = l.logDensity(candidate) - g.logDensity(candidate);
      if (score > bestScore) [best, bestScore] = [candidate, score];
    }
    return best;
  }
  return Object.fromEntries(
    Object.keys(space).map((key) => {
      let best: unknown;
      let bestScore = -Infinity;
      for (let c = 0; c < options.candidates; c++) {
        const value = l.sampleKey(key, uniform);
        const score = l.logDensityOfKey(key, value) - g.logDensityOfKey(key, value);
        if (score > bestScore) [best, bestScore] = [value, score];
      }
      return [key, best];
    }),
  );
}

/** One key's part of a kernel: a truncated normal (on the key's scale) or a distribution over the values. */
type KeyKernel = { readonly mu: number; readonly sigma: number; readonly mass: number } | { readonly probabilities: readonly number[] };

/**
 * A weighted mixture of kernels over the space: one kernel per trial (centred on its values) and a prior
 * kernel (the range's centre with the whole range as its width; uniform over values).
 */
class Mixture {
  /** Kernel weights (normalised); the prior kernel is the last. */
  private readonly weights: number[];
  /** Per key, its kernel for each mixture kernel. */
  private readonly kernels: Map<string, KeyKernel[]> = new Map();

  constructor(private readonly space: Space, proposals: readonly Proposal[], options: TpeOptions) {
    const raw = [...trialWeights(proposals.length), options.priorWeight];
    const total = raw.reduce((sum, weight) => sum + weight, 0);
    this.weights = raw.map((weight) => weight / total);
    const keyCount = Object.keys(space).length;
    for (const [key, parameter] of Object.entries(space)) {
      const values = proposals.map((proposal) => proposal[key]);
      this.kernels.set(key, parameter.kind === 'values' ? categoricalKernels(parameter.values, values, options.priorWeight) : numericKernels(parameter, values, options.multivariate ? keyCount : undefined));
    }
  }

  private drawKernel(uniform: Uniform): number {
    let u = uniform();
    for (let k = 0; k < this.weights.length; k++) {
      u -= this.weights[k];
      if (u < 0) return k;
    }
    return this.weights.length - 1;
  }

  /** A proposal drawn jointly: one kernel for every key. */
  sample(uniform: Uniform): Proposal {
    const k = this.drawKernel(uniform);
    return Object.fromEntries(Object.entries(this.space).map(([key, parameter]) => [key, drawFrom(parameter, this.kernels.get(key)![k], uniform)]));
  }

  /** One key's value drawn from its own mixture. */
  sampleKey(key: string, uniform: Uniform): unknown {
    return drawFrom(this.space[key], this.kernels.get(key)![this.drawKernel(uniform)], uniform);
  }

  /** log of the joint density: Σ_k w_k Π_keys p_k(x_key). */
  logDensity(proposal: Proposal): number {
    const perKernel = this.weights.map((weight) => Math.log(weight));
    for (const [key, parameter] of Object.entries(this.space)) {
      this.kernels.get(key)!.forEach((kernel, k) => (perKernel[k] += logDensityOf(parameter, kernel, proposal[key])));
    }
    return logSumExp(perKernel);
  }

  /** log of one key's marginal density: Σ_k w_k p_k(x). */
  logDensityOfKey(key: string, value: unknown): number {
    const parameter = this.space[key];
    return logSumExp(this.kernels.get(key)!.map((kernel, k) => Math.log(this.weights[k]) + logDensityOf(parameter, kernel, value)));
  }
}

const scaleOf = (parameter: Parameter) => (parameter.kind === 'logUniform' ? Math.log : (value: number) => value);

/** The key's range on the scale the kernels live on (logarithmic for log ranges; integers widened by ½ each side). */
function boundsOf(parameter: Exclude<Parameter, { kind: 'values' }>): [number, number] {
  const scale = scaleOf(parameter);
  return parameter.kind === 'intUniform' ? [parameter.min - 0.5, parameter.max + 0.5] : [scale(parameter.min), scale(parameter.max)];
}

/**
 * Kernels at the trials' values: each one's width is the larger gap to its neighbours (the range's ends
 * count as neighbours), clipped to [range / min(100, n + 2), range] (Optuna's "magic clip"); with
 * `jointKeys` (multivariate, d keys) at most Scott's-rule width 0.2 · n^(−1/(d+4)) · range. The prior:
 * centred, as wide as the range.
 */
function numericKernels(parameter: Exclude<Parameter, { kind: 'values' }>, values: unknown[], jointKeys?: number): KeyKernel[] {
  const [low, high] = boundsOf(parameter);
  const range = high - low || 1;
  const scale = scaleOf(parameter);
  const mus = values.map((value) => scale(Number(value)));
  const sorted = [...mus].sort((a, b) => a - b);
  const withEnds = [low, ...sorted, high];
  const gap = new Map<number, number>();
  sorted.forEach((mu, i) => gap.set(mu, Math.max(mu - withEnds[i], withEnds[i + 2] - mu)));
  const minSigma = range / Math.min(100, mus.length + 2);
  const gaps = mus.map((mu) => Math.min(range, Math.max(minSigma, gap.get(mu)!)));
  // Jointly, a kernel is no wider than Scott's rule says either: the gaps alone are too wide where trials
  // are few (measured: the joint kernels with Scott's width alone, or the gaps alone, each lose to Optuna on
  // some problems; the narrower of the two beats it on all but one, and is level there).
  const scott = jointKeys === undefined ? Infinity : 0.2 * Math.max(mus.length, 1) ** (-1 / (jointKeys + 4)) * range;
  const sigmas = gaps.map((width) => Math.min(width, scott));
  const kernels = mus.map((mu, i) => truncatedNormal(mu, sigmas[i], low, high));
  kernels.push(truncatedNormal((low + high) / 2, range, low, high));
  return kernels;
}

function truncatedNormal(mu: number, sigma: number, low: number, high: number): KeyKernel {
  return { mu, sigma, mass: Math.max(1e-12, normalCdf((high - mu) / sigma) - normalCdf((low - mu) / sigma)) };
}

/** Each trial's kernel puts its weight on its value plus the prior's weight spread over all values; the prior kernel is uniform. */
function categoricalKernels(choices: readonly unknown[], values: unknown[], priorWeight: number): KeyKernel[] {
  const keyOf = (value: unknown) => JSON.stringify(value);
  const indexOf = new Map(choices.map((choice, index) => [keyOf(choice), index]));
  const kernels: KeyKernel[] = values.map((value) => {
    const counts = new Array<number>(choices.length).fill(priorWeight / choices.length);
    const index = indexOf.get(keyOf(value));
    if (index !== undefined) counts[index] += 1;
    const total = counts.reduce((sum, count) => sum + count, 0);
    return { probabilities: counts.map((count) => count / total) };
  });
  kernels.push({ probabilities: new Array<number>(choices.length).fill(1 / choices.length) });
  return kernels;
}

function drawFrom(parameter: Parameter, kernel: KeyKernel, uniform: Uniform): unknown {
  if (parameter.kind === 'values') {
    const { probabilities } = kernel as { probabilities: number[] };
    let u = uniform();
    for (let index = 0; index < probabilities.length; index++) {
      u -= probabilities[index];
      if (u < 0) return parameter.values[index];
    }
    return parameter.values[probabilities.length - 1];
  }
  const { mu, sigma } = kernel as { mu: number; sigma: number };
  const [low, high] = boundsOf(parameter);
  let x = Math.min(high, Math.max(low, mu));
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = mu + sigma * standardNormal(uniform);
    if (candidate >= low && candidate <= high) {
      x = candidate;
      break;
    }
  }
  if (parameter.kind === 'intUniform') return Math.min(parameter.max, Math.max(parameter.min, Math.round(x)));
  const value = parameter.kind === 'logUniform' ? Math.exp(x) : x;
  return Math.min(parameter.max, Math.max(parameter.min, value));
}

function logDensityOf(parameter: Parameter, kernel: KeyKernel, value: unknown): number {
  if (parameter.kind === 'values') {
    const index = parameter.values.findIndex((choice) => JSON.stringify(choice) === JSON.stringify(value));
    return Math.log((kernel as { probabilities: number[] }).probabilities[index] ?? 1e-12);
  }
  const { mu, sigma, mass } = kernel as { mu: number; sigma: number; mass: number };
  if (parameter.kind === 'intUniform') {
    // An integer's probability: the kernel's mass on [v − ½, v + ½].
    const v = Number(value);
    return Math.log(Math.max(1e-300, (normalCdf((v + 0.5 - mu) / sigma) - normalCdf((v - 0.5 - mu) / sigma)) / mass));
  }
  const x = scaleOf(parameter)(Number(value));
  return -0.5 * ((x - mu) / sigma) ** 2 - Math.log(sigma * Math.sqrt(2 * Math.PI) * mass);
}

function logSumExp(values: number[]): number {
  const top = Math.max(...values);
  if (!Number.isFinite(top)) return top;
  return top + Math.log(values.reduce((sum, value) => sum + Math.exp(value - top), 0));
}

function standardNormal(uniform: Uniform): number {
  const u = Math.max(uniform(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** Φ(z), by the Abramowitz–Stegun 7.1.26 approximation of erf (error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
