import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SEARCH_METHODS, type Observation, type Proposal, type Space } from '@specml/search';

// `bench --searchers`: our random and Bayesian (TPE) searches, through the search method registry as a
// sweep uses them, against Optuna's RandomSampler and TPESampler (Debian's python3-optuna, run by
// bench-searchers.py), on standard test functions and one mixed problem, TRIALS trials and SEEDS seeds each:
// the mean best regret (best value found − the optimum) per method and problem, with its standard error.
// Our TPE runs both ways, one joint density (the default) and one per key, which is how the default was chosen.

const TRIALS = 40;
/** Seeds per method and problem: with 20, a mean regret's standard error is 15–30 % of it; 100 tells methods apart. */
const SEEDS = 100;

interface Problem {
  readonly space: Space;
  readonly optimum: number;
  readonly f: (x: Proposal) => number;
}

const n = (x: Proposal, key: string) => Number(x[key]);
const HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]].map((row) => row.map((value) => value * 1e-4));
const range = (keys: string[], min: number, max: number): Space => Object.fromEntries(keys.map((key) => [key, { kind: 'uniform' as const, min, max }]));

/** The problems, the same in bench-searchers.py. */
export const PROBLEMS: Record<string, Problem> = {
  branin: {
    space: { x1: { kind: 'uniform', min: -5, max: 10 }, x2: { kind: 'uniform', min: 0, max: 15 } },
    optimum: 0.397887,
    f: (x) => {
      const [a, b] = [n(x, 'x1'), n(x, 'x2')];
      return (b - (5.1 / (4 * Math.PI ** 2)) * a ** 2 + (5 / Math.PI) * a - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10;
    },
  },
  hartmann6: {
    space: range(['x0', 'x1', 'x2', 'x3', 'x4', 'x5'], 0, 1),
    optimum: -3.32237,
    f: (x) => -[1, 1.2, 3, 3.2].reduce((sum, alpha, i) => sum + alpha * Math.exp(-HARTMANN_A[i].reduce((inner, a, j) => inner + a * (n(x, `x${j}`) - HARTMANN_P[i][j]) ** 2, 0)), 0),
  },
  rosenbrock4: {
    space: range(['x0', 'x1', 'x2', 'x3'], -2, 2),
    optimum: 0,
    f: (x) => [0, 1, 2].reduce((sum, i) => sum + 100 * (n(x, `x${i + 1}`) - n(x, `x${i}`) ** 2) ** 2 + (1 - n(x, `x${i}`)) ** 2, 0),
  },
  styblinskiTang4: {
    space: range(['x0', 'x1', 'x2', 'x3'], -5, 5),
    optimum: -39.16617 * 4,
    f: (x) => [0, 1, 2, 3].reduce((sum, i) => sum + (n(x, `x${i}`) ** 4 - 16 * n(x, `x${i}`) ** 2 + 5 * n(x, `x${i}`)) / 2, 0),
  },
  mixed: {
    space: { lr: { kind: 'logUniform', min: 1e-5, max: 1 }, units: { kind: 'intUniform', min: 8, max: 512 }, activation: { kind: 'values', values: ['relu', 'tanh', 'sigmoid'] } },
    optimum: 0,
    f: (x) => (Math.log10(n(x, 'lr')) + 3) ** 2 + ((Math.log2(n(x, 'units')) - 7) / 2) ** 2 + ({ relu: 0, tanh: 0.5, sigmoid: 1 } as Record<string, number>)[String(x.activation)],
  },
};

/** Our searches as the bench's columns: a registry method and its options. */
const OURS = {
  'ours random': { method: 'random', options: {} },
  'ours bayes': { method: 'bayes', options: {} },
  'ours bayes, per key': { method: 'bayes', options: { multivariate: false } },
} as const;

const searcherFor = (problem: Problem, column: keyof typeof OURS, seed: number, trials: number) =>
  SEARCH_METHODS[OURS[column].method].create({ space: problem.space, goal: 'minimize', seed, trials, options: OURS[column].options });

/** The best value after TRIALS trials of one search, as regret. */
function ourRegret(problem: Problem, column: keyof typeof OURS, seed: number): number {
  const history: Observation[] = [];
  const searcher = searcherFor(problem, column, seed, TRIALS);
  for (let index = 1; index <= TRIALS; index++) {
    const proposal = searcher.ask(index, history, []);
    history.push({ proposal, value: problem.f(proposal) });
  }
  return Math.min(...history.map((observation) => observation.value)) - problem.optimum;
}

/**
 * The best regret after `trials` trials of TPE on `workers` simulated workers: each proposal is made while
 * the other workers' trials are still running (pending), with or without counting them (the constant liar).
 */
function parallelRegret(problem: Problem, seed: number, trials: number, workers: number, liar: boolean): { regret: number; repeats: number } {
  const history: Observation[] = [];
  const running: Proposal[] = [];
  const searcher = searcherFor(problem, 'ours bayes', seed, trials);
  let repeats = 0;
  for (let index = 1; index <= trials; index++) {
    if (running.length >= workers) {
      const done = running.shift()!; // the oldest running trial reports
      history.push({ proposal: done, value: problem.f(done) });
    }
    const proposal = searcher.ask(index, history, liar ? running : []);
    if (running.some((other) => JSON.stringify(other) === JSON.stringify(proposal))) repeats++;
    running.push(proposal);
  }
  for (const done of running) history.push({ proposal: done, value: problem.f(done) });
  return { regret: Math.min(...history.map((observation) => observation.value)) - problem.optimum, repeats };
}

const meanAndError = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, error: Math.sqrt(variance / values.length) };
};

export function benchSearchers(): void {
  const results: Record<string, Record<string, number[]>> = {};
  for (const [name, problem] of Object.entries(PROBLEMS)) {
    results[name] = {};
    for (const column of Object.keys(OURS) as (keyof typeof OURS)[]) results[name][column] = Array.from({ length: SEEDS }, (_, seed) => ourRegret(problem, column, seed));
  }
  const script = fileURLToPath(new URL('../../static/bench-searchers.py', import.meta.url));
  const optuna = spawnSync('/usr/bin/python3', [script, String(TRIALS), String(SEEDS)], { encoding: 'utf8' });
  if (optuna.status === 0) {
    const theirs = JSON.parse(optuna.stdout) as Record<string, Record<string, number[]>>;
    for (const [name, methods] of Object.entries(theirs)) Object.assign(results[name], methods);
  } else {
    console.log(`Optuna skipped: ${(optuna.stderr || optuna.error?.message || '').trim().split('\n').at(-1)} (apt-get install python3-optuna)`);
  }
  const methods = [...new Set(Object.values(results).flatMap((row) => Object.keys(row)))];
  console.log(`mean best regret after ${TRIALS} trials over ${SEEDS} seeds (± standard error); lower is better\n`);
  const ratio = (row: Record<string, number[]>) => (row['optuna tpe'] ? (meanAndError(row['ours bayes']).mean / meanAndError(row['optuna tpe']).mean).toFixed(2) : '');
  console.log(`| problem | ${methods.join(' | ')} | ours bayes / optuna tpe |\n| --- |${' --- |'.repeat(methods.length + 1)}`);
  for (const [name, row] of Object.entries(results)) {
    const cells = methods.map((method) => {
      if (!row[method]) return '';
      const { mean, error } = meanAndError(row[method]);
      return `${mean.toPrecision(3)} ± ${error.toPrecision(2)}`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} | ${ratio(row)} |`);
  }
  console.log(`\nTPE after 16 trials, one worker against two (each proposal made while the other worker's trial runs), ${SEEDS} seeds:\n`);
  console.log('| problem | 1 worker | 2 workers, pending counted (constant liar) | 2 workers, pending ignored |\n| --- | --- | --- | --- |');
  for (const [name, problem] of Object.entries(PROBLEMS)) {
    const cell = (workers: number, liar: boolean) => {
      const runs = Array.from({ length: SEEDS }, (_, seed) => parallelRegret(problem, seed, 16, workers, liar));
      const { mean, error } = meanAndError(runs.map((run) => run.regret));
      const repeats = runs.reduce((sum, run) => sum + run.repeats, 0);
      return `${mean.toPrecision(3)} ± ${error.toPrecision(2)}${workers > 1 ? `, ${repeats} repeated proposals` : ''}`;
    };
    console.log(`| ${name} | ${cell(1, true)} | ${cell(2, true)} | ${cell(2, false)} |`);
  }
}
