import { randomProposal, type Goal, type Observation, type Parameter, type Proposal, type Space, type Uniform } from './space.js';

/**
 * The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl, "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS 2011), in its common independent form (hyperopt's and Optuna's default): the
 * finished trials are split into the best `gamma` fraction and the rest; for each key, a Parzen density of
 * the good values, l(x), and of the others, g(x), is built over the key's range; candidates are drawn from
 * l and the one with the largest l(x)/g(x) is proposed. Pure: history in, proposal out.
 */
export interface TpeOptions {
  /** Trials drawn at random before the model is used. */
  readonly startupTrials: number;
  /** The fraction of finished trials counted as good. */
  readonly gamma: number;
  /** Candidates drawn from l(x) per key. */
  readonly candidates: number;
}

export const TPE_DEFAULTS: TpeOptions = { startupTrials: 5, gamma: 0.25, candidates: 24 };

/**
 * `pending`: proposals of trials still running (parallel workers). They count as finished with the worst
 * value seen so far (a constant liar, as Optuna's constant_liar): their region is one of the bad ones until
 * they report, so two workers are not sent to the same place.
 */
export function tpeProposal(space: Space, history: readonly Observation[], goal: Goal, uniform: Uniform, options: TpeOptions = TPE_DEFAULTS, pending: readonly Proposal[] = []): Proposal {
  const observed = history.filter((observation) => Number.isFinite(observation.value));
  if (observed.length < options.startupTrials) return randomProposal(space, uniform);
  const worst = goal === 'maximize' ? Math.min(...observed.map((observation) => observation.value)) : Math.max(...observed.map((observation) => observation.value));
  const finished = [...observed, ...pending.map((proposal) => ({ proposal, value: worst }))];
  const ranked = [...finished].sort((a, b) => (goal === 'maximize' ? b.value - a.value : a.value - b.value));
  const goodCount = Math.max(1, Math.ceil(options.gamma * ranked.length));
  const good = ranked.slice(0, goodCount).map((observation) => observation.proposal);
  const bad = ranked.slice(goodCount).map((observation) => observation.proposal);
  return Object.fromEntries(
    Object.entries(space).map(([key, parameter]) => [
      key,
      bestCandidate(
        parameter,
        good.map((proposal) => proposal[key]),
        bad.map((proposal) => proposal[key]),
        uniform,
        options.candidates,
      ),
    ]),
  );
}

function bestCandidate(parameter: Parameter, good: unknown[], bad: unknown[], uniform: Uniform, count: number): unknown {
  if (parameter.kind === 'values') {
    const l = categorical(parameter.values, good);
    const g = categorical(parameter.values, bad);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < count; c++) {
      const index = drawIndex(l, uniform);
      const score = Math.log(l[index]) - Math.log(g[index]);
      if (score > bestScore) [best, bestScore] = [index, score];
    }
    return parameter.values[best];
  }
  const log = parameter.kind === 'logUniform';
  const toScale = (value: number) => (log ? Math.log(value) : value);
  const low = toScale(parameter.min);
  const high = toScale(parameter.max);
  const l = parzen(good.map((value) => toScale(Number(value))), low, high);
  const g = parzen(bad.map((value) => toScale(Number(value))), low, high);
  let best = (low + high) / 2;
  let bestScore = -Infinity;
  for (let c = 0; c < count; c++) {
    const x = l.sample(uniform);
    const score = Math.log(l.density(x)) - Math.log(g.density(x));
    if (score > bestScore) [best, bestScore] = [x, score];
  }
  const value = log ? Math.exp(best) : best;
  if (parameter.kind === 'intUniform') return Math.min(parameter.max, Math.max(parameter.min, Math.round(value)));
  return Math.min(parameter.max, Math.max(parameter.min, value));
}

/** Observed frequencies of each value, with one prior count each so that nothing has probability 0. */
function categorical(values: readonly unknown[], observed: unknown[]): number[] {
  const keyOf = (value: unknown) => JSON.stringify(value);
  const counts = values.map((value) => 1 + observed.filter((seen) => keyOf(seen) === keyOf(value)).length);
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => count / total);
}

function drawIndex(probabilities: number[], uniform: Uniform): number {
  let u = uniform();
  for (let index = 0; index < probabilities.length; index++) {
    u -= probabilities[index];
    if (u < 0) return index;
  }
  return probabilities.length - 1;
}

interface Density {
  density(x: number): number;
  sample(uniform: Uniform): number;
}

/**
 * Gaussians at the observed points plus a wide prior at the range's centre, equally weighted, truncated to
 * [low, high]; each point's width is the larger gap to its neighbours (hyperopt's adaptive Parzen
 * estimator), kept between range/100 and the range.
 */
function parzen(points: number[], low: number, high: number): Density {
  const range = high - low || 1;
  const sorted = [...points].sort((a, b) => a - b);
  const components = sorted.map((mu, index) => {
    const left = index > 0 ? mu - sorted[index - 1] : mu - low;
    const right = index < sorted.length - 1 ? sorted[index + 1] - mu : high - mu;
    return { mu, sigma: Math.min(range, Math.max(range / Math.min(100, sorted.length + 1), left, right)) };
  });
  components.push({ mu: (low + high) / 2, sigma: range });
  const mass = components.map(({ mu, sigma }) => normalCdf((high - mu) / sigma) - normalCdf((low - mu) / sigma));
  return {
    density: (x) =>
      components.reduce((sum, { mu, sigma }, index) => sum + Math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI) * mass[index]), 0) /
      components.length,
    sample: (uniform) => {
      const { mu, sigma } = components[Math.min(components.length - 1, Math.floor(uniform() * components.length))];
      for (let attempt = 0; attempt < 100; attempt++) {
        const x = mu + sigma * standardNormal(uniform);
        if (x >= low && x <= high) return x;
      }
      return Math.min(high, Math.max(low, mu));
    },
  };
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
