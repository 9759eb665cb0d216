"""Optuna's samplers on the problems of bench-searchers.ts (the same functions and spaces): prints, as JSON,
the best regret after TRIALS trials for each of SEEDS seeds, per problem and sampler. Used by
`npx nx run runner:bench -- --searchers`; needs Debian's python3-optuna."""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
TRIALS, SEEDS = int(sys.argv[1]), int(sys.argv[2])
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[v * 1e-4 for v in row] for row in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]


def branin(t):
    a, b = t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)
    return (b - 5.1 / (4 * math.pi**2) * a**2 + 5 / math.pi * a - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(a) + 10


def hartmann6(t):
    x = [t.suggest_float(f"x{j}", 0, 1) for j in range(6)]
    return -sum(alpha * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i, alpha in enumerate([1, 1.2, 3, 3.2]))


def rosenbrock4(t):
    x = [t.suggest_float(f"x{j}", -2, 2) for j in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def styblinski_tang4(t):
    x = [t.suggest_float(f"x{j}", -5, 5) for j in range(4)]
    return sum((v**4 - 16 * v**2 + 5 * v) / 2 for v in x)


def mixed(t):
    lr, units = t.suggest_float("lr", 1e-5, 1, log=True), t.suggest_int("units", 8, 512)
    activation = t.suggest_categorical("activation", ["relu", "tanh", "sigmoid"])
    return (math.log10(lr) + 3) ** 2 + ((math.log2(units) - 7) / 2) ** 2 + {"relu": 0, "tanh": 0.5, "sigmoid": 1}[activation]


PROBLEMS = {"branin": (branin, 0.397887), "hartmann6": (hartmann6, -3.32237), "rosenbrock4": (rosenbrock4, 0), "styblinskiTang4": (styblinski_tang4, -39.16617 * 4), "mixed": (mixed, 0)}
results = {}
for name, (f, optimum) in PROBLEMS.items():
    results[name] = {}
    for label, make in [("optuna random", lambda s: optuna.samplers.RandomSampler(seed=s)), ("optuna tpe", lambda s: optuna.samplers.TPESampler(seed=s))]:
        regrets = []
        for seed in range(SEEDS):
            study = optuna.create_study(sampler=make(seed))
            study.optimize(f, n_trials=TRIALS)
            regrets.append(study.best_value - optimum)
        results[name][label] = regrets
print(json.dumps(results))
