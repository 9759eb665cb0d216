import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { lastLine, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { hasSklearn, pythonJson } from '../test-kit/test-python.js';

// The best epoch is chosen on validation data, never on the test set; early stopping watches validation data
// and keeps the best epoch's weights.

const work = temporaryFolder('honest');
const iris = join(root, 'experiments/data/iris.csv');
const spec = (extra: string) => `name: honest
seed: 2
data: { dataset: csv, path: ${iris}, target: species${extra} }
model:
  layers:
    - { units: 32, activation: relu }
    - { units: 3, activation: softmax }
optimizer: { name: adam, learningRate: 0.05 }
batchSize: 8
epochs: 150
`;
const summaryOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
const metricsOf = (runDir: string) => (parse(readFileSync(join(runDir, 'metrics.csv'), 'utf8'), { columns: true, cast: true }) as Record<string, number>[]);

describe('honest verdicts', () => {
  it('chooses the best epoch on validation data and reports the test score at that epoch; without validation data there is none', () => {
    const file = join(work, 'validated.yaml');
    writeFileSync(file, spec(', validationSplit: 0.25').replace('epochs: 150', 'epochs: 30'));
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    const runDir = resolve(root, lastLine(run.stdout));
    const rows = metricsOf(runDir).filter((row) => row.epoch > 0);
    const chosen = rows.reduce((top, row) => (row.validation_accuracy > top.validation_accuracy ? row : top));
    expect(run.stdout).toContain(`; best epoch ${chosen.epoch} on validation data (validation_accuracy ${chosen.validation_accuracy.toFixed(4)}), test accuracy ${chosen.test_accuracy.toFixed(4)} there\n`);
    // metrics.csv keeps 10 significant digits, summary.json every digit.
    const best = summaryOf(runDir).best;
    expect(Object.keys(best).sort()).toEqual(['epoch', 'test_accuracy', 'test_auc', 'test_f1', 'test_loss', 'validation_accuracy', 'validation_auc', 'validation_f1', 'validation_loss']);
    for (const [column, value] of Object.entries(best)) expect(value as number).toBeCloseTo(chosen[column], 9);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain(`epoch ${chosen.epoch}: validation accuracy ${chosen.validation_accuracy.toFixed(4)}, test accuracy ${chosen.test_accuracy.toFixed(4)} there`);

    const plain = join(work, 'plain.yaml');
    writeFileSync(plain, spec('').replace('epochs: 150', 'epochs: 3'));
    const without = specml(['exp', plain, '--runs-dir', join(work, 'runs')]);
    expect(without.status, without.stderr).toBe(0);
    const plainDir = resolve(root, lastLine(without.stdout));
    expect(summaryOf(plainDir).best).toBeNull();
    expect(readFileSync(join(plainDir, 'report.html'), 'utf8')).toContain('none: without validation data only the final epoch is reported (set data.validationSplit');
  });

  it('stops early on validation loss and keeps the best epoch\'s weights: the saved predictions score exactly that epoch\'s test accuracy', () => {
    const file = join(work, 'stopping.yaml');
    writeFileSync(file, `${spec(', validationSplit: 0.25')}earlyStopping: { metric: validation_loss, patience: 4 }\n`);
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    const runDir = resolve(root, lastLine(run.stdout));
    const summary = summaryOf(runDir);
    const rows = metricsOf(runDir);
    const trained = rows.filter((row) => row.epoch > 0);
    const best = trained.reduce((top, row) => (row.validation_loss < top.validation_loss ? row : top));
    expect(summary).toMatchObject({ status: 'stopped', restoredEpoch: best.epoch, stoppedEpoch: best.epoch + 4, epochsCompleted: best.epoch + 4 });
    expect(summary.best.epoch).toBe(best.epoch);
    expect(summary.final.test_accuracy).toBeCloseTo(best.test_accuracy, 9);
    const predictions = parse(readFileSync(join(runDir, 'predictions.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(predictions.filter((row) => row.true_class === row.predicted_class).length / predictions.length).toBeCloseTo(best.test_accuracy, 10);
  });

  it('reports macro F1, ROC AUC and per-class scores as scikit-learn computes them, the model\'s size and a baseline that learnt nothing', () => {
    const file = join(work, 'scores.yaml');
    writeFileSync(file, spec('').replace('epochs: 150', 'epochs: 4').replace('learningRate: 0.05', 'learningRate: 0.005'));
    const validated = specml(['validate', file]);
    expect(validated.stdout).toContain('  layer            output shape  parameters\n  1 dense relu     [32]                 160\n  2 dense softmax  [3]                   99\n  total: 259 trainable parameters\n');
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    const runDir = resolve(root, lastLine(run.stdout));
    const summary = summaryOf(runDir);
    expect(summary.parameters).toBe(259);
    // Iris' test split holds 10 of each class: always the first most frequent training class is right a third of the time.
    expect(summary.baseline).toEqual({ description: 'always the most frequent training class (setosa)', test_accuracy: 1 / 3 });
    expect(Object.keys(summary.final)).toEqual(['test_loss', 'test_accuracy', 'test_f1', 'test_auc']);
    expect(metricsOf(runDir).at(-1)!.test_f1).toBeCloseTo(summary.final.test_f1, 9);
    if (!hasSklearn) return;
    const reference = pythonJson(`
import csv, json, sys
from sklearn.metrics import f1_score, precision_recall_fscore_support
rows = list(csv.DictReader(open(sys.argv[1])))
y, p = [r['true_class'] for r in rows], [r['predicted_class'] for r in rows]
labels = sorted(set(y))
precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
print(json.dumps({'f1': f1_score(y, p, average='macro'), 'perClass': [[l, round(a, 4), round(b, 4), round(c, 4), int(d)] for l, a, b, c, d in zip(labels, precision, recall, f1, support)]}))
`, [join(runDir, 'predictions.csv')]) as { f1: number; perClass: unknown[][] };
    expect(summary.final.test_f1).toBeCloseTo(reference.f1, 12);
    const perClass = parse(readFileSync(join(runDir, 'per-class.csv'), 'utf8'), { from_line: 2, cast: true }) as unknown[][];
    expect(perClass).toEqual(reference.perClass);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('<h2>Per class on the test set (per-class.csv)</h2>');
  });

  it('refuses early stopping without validation data, or on a column the task does not have, at the spec\'s line', () => {
    const file = join(work, 'no-validation.yaml');
    writeFileSync(file, `${spec('')}earlyStopping: { metric: validation_loss }\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({
      status: 2,
      stderr: `error: ${file}:11:26: earlyStopping.metric: validation_loss needs validation data, and the spec has none (set data.validationSplit (e.g. 0.2): early stopping must not watch the test set)\n`,
    });
    writeFileSync(file, `${spec(', validationSplit: 0.2')}earlyStopping: { metric: validation_rmse }\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({ status: 2, stderr: expect.stringContaining('earlyStopping.metric: validation_rmse is no column of a classification\'s metrics.csv (choose one of validation_loss, validation_accuracy, validation_f1, validation_auc)') });
    writeFileSync(file, `${spec('')}schedule: { type: plateau, metric: validation_accuracy, patience: 2 }\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({ status: 2, stderr: expect.stringContaining('schedule.metric: validation_accuracy needs validation data, and the spec has none (set data.validationSplit (e.g. 0.2): the plateau schedule must not watch the test set)') });
    // A sweep of cross-validated trials cannot stop them at ASHA's rungs, nor vary what its means are over.
    writeFileSync(file, `${spec(', folds: 3')}sweep:\n  method: random\n  trials: 2\n  parameters: { epochs: [4, 8] }\n  earlyStop: { type: asha, minEpochs: 2 }\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({
      status: 2,
      stderr: `error: ${file}:15:14: sweep.earlyStop: stops single runs at their rungs, but each trial here is a mean over folds or seeds (data.folds, repeats) (remove sweep.earlyStop (each member can still stop early with earlyStopping), or sweep with data.validationSplit)\n`,
    });
    writeFileSync(file, `${spec(', folds: 3')}sweep:\n  data.folds: [3, 5]\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({
      status: 2,
      stderr: `error: ${file}:12:3: sweep["data.folds"]: data.folds cannot be swept: every trial's score must be a mean over the same folds and seeds to be compared (set data.folds once, outside the sweep)\n`,
    });
    writeFileSync(file, `${spec(', validationSplit: 0.2')}earlyStopping: { metric: test_loss }\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({ status: 2, stderr: expect.stringContaining('earlyStopping.metric') });
    // A refit has no validation rows to add without a validation split.
    writeFileSync(file, `${spec('')}sweep:\n  epochs: [1, 2]\n  refit: true\n`);
    expect(specml(['exp', file, '--runs-dir', join(work, 'runs-refused')])).toMatchObject({
      status: 2,
      stderr: `error: ${file}:13:10: sweep.refit: refit trains the chosen settings on the training and validation rows together, and this spec has no validation rows (set data.validationSplit (e.g. 0.2) or data.folds, or leave refit out)\n`,
    });
    expect(existsSync(join(work, 'runs-refused'))).toBe(false);
  });

  it('refits the chosen settings on training + validation rows for its best validation epoch, once, however often the sweep is resumed', () => {
    const file = join(work, 'refit.yaml');
    writeFileSync(file, `${spec(', validationSplit: 0.25').replace('epochs: 150', 'epochs: 12')}sweep:\n  method: grid\n  parameters: { optimizer.learningRate: [0.05, 0.005] }\n  refit: true\n`);
    const runsDir = join(work, 'runs-refit');
    const swept = specml(['exp', file, '--runs-dir', runsDir]);
    expect(swept.status, swept.stderr).toBe(0);
    const sweepDir = join(runsDir, 'honest', readdirSync(join(runsDir, 'honest')).find((name) => name.startsWith('sweep-'))!);
    const record = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
    const chosen = record.trials.reduce((best: { metric: number }, trial: { metric: number }) => (trial.metric > best.metric ? trial : best));
    const chosenRun = join(runsDir, 'honest', chosen.runId);
    const bestEpoch = summaryOf(chosenRun).best.epoch;
    expect(record.refit).toEqual({ fromTrial: chosen.index, epochs: bestEpoch, runId: `${record.sweepId}-refit`, state: 'completed', message: '' });
    const refitRun = join(runsDir, 'honest', record.refit.runId);
    const refitted = summaryOf(refitRun);
    expect(refitted.refit).toBe(true);
    expect(summaryOf(join(runsDir, 'honest', record.trials[0].runId)).refit).toBeUndefined();
    expect(swept.stdout).toContain(`refit (trial ${chosen.index}'s settings, training + validation rows, ${bestEpoch} epochs): test_accuracy ${refitted.final.test_accuracy.toFixed(4)} → ${refitRun}\n`);
    // The chosen trial's spec, without its validation split, for that many epochs; trained on every training row.
    const refitSpec = readFileSync(join(refitRun, 'spec.yaml'), 'utf8');
    expect(refitSpec).not.toContain('validationSplit');
    expect(refitSpec).toMatch(new RegExp(`^epochs: ${bestEpoch}$`, 'm'));
    expect(refitSpec).toMatch(/^ {2}learningRate: 0\.05$/m);
    expect(metricsOf(refitRun)).toHaveLength(bestEpoch + 1);
    expect(Object.keys(metricsOf(refitRun)[0]).some((column) => column.startsWith('validation_'))).toBe(false);
    expect(specml(['validate', join(refitRun, 'spec.yaml')]).stdout).toContain('(120/30 rows)');
    expect(specml(['validate', join(chosenRun, 'spec.yaml')]).stdout).toContain('(90/30 rows)');
    const resumed = specml(['exp', '--resume', sweepDir]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).not.toContain('refit: trial');
    expect(summaryOf(refitRun).startedAt).toBe(refitted.startedAt);
    expect(readdirSync(join(runsDir, 'honest')).filter((name) => name.endsWith('-refit'))).toHaveLength(1);
  });

  it('cross-validates over folds and repeats seeds as member runs, reports means with intervals, and compare says whether the difference is real', () => {
    const folds = join(work, 'folds.yaml');
    writeFileSync(folds, spec(', folds: 3').replace('epochs: 150', 'epochs: 8'));
    const run = specml(['exp', folds, '--runs-dir', join(work, 'runs-cv')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^run honest\/\S+: 3 members \(3 folds\), 2 at a time$/m);
    const runDir = resolve(root, lastLine(run.stdout));
    const summary = summaryOf(runDir);
    expect(summary.members.map((member: { id: string }) => member.id)).toEqual(['fold-1-seed-2', 'fold-2-seed-2', 'fold-3-seed-2']);
    const members = summary.members.map((member: { dir: string }) => summaryOf(join(runDir, member.dir)));
    const mean = (column: string) => members.reduce((sum: number, member: { final: Record<string, number> }) => sum + member.final[column], 0) / members.length;
    expect(summary.final.validation_accuracy).toBeCloseTo(mean('validation_accuracy'), 12);
    expect(summary.spread.validation_accuracy.n).toBe(3);
    expect(summary.spread.validation_accuracy.ci95).toBeGreaterThan(0);
    // metrics.csv holds each epoch's mean over the members.
    const memberRows = summary.members.map((member: { dir: string }) => metricsOf(join(runDir, member.dir)));
    expect(metricsOf(runDir)[8].validation_loss).toBeCloseTo(memberRows.reduce((sum: number, rows: Record<string, number>[]) => sum + rows[8].validation_loss, 0) / 3, 8);
    expect(run.stdout).toMatch(/^done in [\d.]+ s: test accuracy [\d.]+ ± [\d.]+, validation accuracy [\d.]+ ± [\d.]+ \(mean ± 95 % interval over 3 members\)$/m);
    // The same spec gives the same folds, so the same members' results.
    const again = specml(['exp', folds, '--runs-dir', join(work, 'runs-cv')]);
    expect(summaryOf(resolve(root, lastLine(again.stdout))).final).toEqual(summary.final);
    // A worse learning rate on the same folds: compare pairs the folds and says how large the gap is.
    const slow = join(work, 'folds-slow.yaml');
    writeFileSync(slow, spec(', folds: 3').replace('epochs: 150', 'epochs: 8').replace('learningRate: 0.05', 'learningRate: 0.0005').replace('name: honest', 'name: slow'));
    const slowRun = specml(['exp', slow, '--runs-dir', join(work, 'runs-cv')]);
    expect(slowRun.status, slowRun.stderr).toBe(0);
    const compared = specml(['compare', runDir, resolve(root, lastLine(slowRun.stdout)), '--runs-dir', join(work, 'runs-cv')]);
    expect(compared.status, compared.stderr).toBe(0);
    expect(compared.stdout).toMatch(/^"honest\/\S+" (beats "slow\/\S+" by|and "slow\/\S+" differ by) [\d.]+ ± [\d.]+ points of validation accuracy(: not distinguishable from noise)? \(p = [\d.]+, paired over 3 folds\)$/m);
    expect(compared.stdout).toMatch(/│ [\d.]+ ± [\d.]+ │/);

    // repeats: the same spec with seeds 2 and 3, as members.
    const repeated = join(work, 'repeats.yaml');
    writeFileSync(repeated, `${spec(', validationSplit: 0.2').replace('epochs: 150', 'epochs: 3')}repeats: 2\n`);
    const repeats = specml(['exp', repeated, '--runs-dir', join(work, 'runs-cv')]);
    expect(repeats.status, repeats.stderr).toBe(0);
    expect(summaryOf(resolve(root, lastLine(repeats.stdout))).members.map((member: { id: string; seed: number }) => [member.id, member.seed])).toEqual([['seed-2', 2], ['seed-3', 3]]);
  });

  it('resumes a run of folds where it stood: members that ended keep their results, the rest train, and the means are an uninterrupted run\'s', () => {
    const file = join(work, 'folds-resumed.yaml');
    writeFileSync(file, spec(', folds: 3').replace('epochs: 150', 'epochs: 6'));
    const whole = specml(['exp', file, '--runs-dir', join(work, 'runs-cv-whole')]);
    expect(whole.status, whole.stderr).toBe(0);
    const wholeDir = resolve(root, lastLine(whole.stdout));
    // The run as a kill during its second member leaves it (its summary is rewritten as each member ends):
    // running, fold 1 completed, fold 2 without a result, fold 3 not started.
    const runDir = join(work, 'runs-cv-killed', 'honest', basename(wholeDir));
    cpSync(wholeDir, runDir, { recursive: true });
    const summary = summaryOf(runDir);
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ ...summary, status: 'running', final: null, members: summary.members.map((member: { id: string }, index: number) => (index === 0 ? member : { ...member, status: 'not started', dir: null, final: null })) }));
    rmSync(join(runDir, 'honest', 'fold-3-seed-2'), { recursive: true });
    const fold2 = join(runDir, 'honest', 'fold-2-seed-2', 'summary.json');
    writeFileSync(fold2, JSON.stringify({ ...summaryOf(dirname(fold2)), status: 'running' }));
    const fold1Started = summaryOf(join(runDir, 'honest', 'fold-1-seed-2')).startedAt;

    const resumed = specml(['exp', '--resume', runDir]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming honest/${basename(runDir)}: 1 of 3 members kept, 2 to train\n`);
    expect(resumed.stdout).not.toContain('member fold-1-seed-2:');
    expect(summaryOf(join(runDir, 'honest', 'fold-1-seed-2')).startedAt).toBe(fold1Started);
    const after = summaryOf(runDir);
    expect(after).toMatchObject({ status: 'completed', resumes: 1 });
    expect(after.members.map((member: { status: string }) => member.status)).toEqual(['completed', 'completed', 'completed']);
    expect(after.final).toEqual(summaryOf(wholeDir).final);
    expect(specml(['exp', '--resume', runDir])).toMatchObject({ status: 2, stderr: `error: --resume ${runDir}: this run already completed; start a new one with exp ${file}\n` });
  });

  it('sweeps cross-validated trials: each a run of folds scored by their mean, the best against the runner-up, the refit marked as one', () => {
    const file = join(work, 'cv-sweep.yaml');
    writeFileSync(file, `${spec(', folds: 3').replace('epochs: 150', 'epochs: 8')}sweep:\n  optimizer.learningRate: [0.05, 0.0005]\n  refit: true\n`);
    const runsDir = join(work, 'runs-cv-sweep');
    const swept = specml(['exp', file, '--runs-dir', runsDir]);
    expect(swept.status, swept.stderr).toBe(0);
    expect(swept.stderr).toBe('');
    // Folds validate: the sweep chooses on the validation mean without being told, one trial at a time.
    expect(swept.stdout).toMatch(/^sweep honest: 2 trials \(optimizer\.learningRate × 2\) on 1 worker, choosing on validation_accuracy \(maximize\)$/m);
    expect(swept.stdout).toMatch(/^trial 1\/2 run honest\/\S+-t1: 3 members \(3 folds\), 2 at a time$/m);
    const sweepDir = join(runsDir, 'honest', readdirSync(join(runsDir, 'honest')).find((entry) => entry.startsWith('sweep-'))!);
    const record = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
    const trials = record.trials.map((trial: { runId: string }) => summaryOf(join(runsDir, 'honest', trial.runId)));
    for (const [index, trial] of trials.entries()) {
      // The trial's score is its members' mean, and each member is a complete run in the trial's folder.
      const members = trial.members.map((member: { dir: string }) => summaryOf(join(runsDir, 'honest', record.trials[index].runId, member.dir)));
      expect(members.map((member: { status: string }) => member.status)).toEqual(['completed', 'completed', 'completed']);
      const mean = members.reduce((sum: number, member: { final: { validation_accuracy: number } }) => sum + member.final.validation_accuracy, 0) / 3;
      expect(trial.final.validation_accuracy).toBeCloseTo(mean, 12);
      expect(swept.stdout).toContain(`trial ${index + 1}/2 optimizer.learningRate=${[0.05, 0.0005][index]}: completed, validation_accuracy ${mean.toFixed(4)} → `);
      expect(swept.stdout).toMatch(new RegExp(`│ ${index + 1}( \\*)? +│ [\\d.]+ +│ completed │ 8 +│ ${mean.toFixed(4)} ± ${trial.spread.validation_accuracy.ci95.toFixed(4)} +│`));
      expect(trial.refit).toBeUndefined();
    }
    const best = trials[0].final.validation_accuracy >= trials[1].final.validation_accuracy ? 1 : 2;
    expect(swept.stdout).toMatch(new RegExp(`^"trial ${best}" (beats|and) "trial ${3 - best}" (by|differ by) [\\d.]+ ± [\\d.]+ points of validation accuracy.* \\(p = [\\d.<]+ ?[\\d.]*, paired over 3 folds\\)$`, 'm'));
    // The refit: the chosen settings on every training row (no folds) for the members' mean best epoch, marked as the refit.
    const refit = summaryOf(join(runsDir, 'honest', record.refit.runId));
    expect(refit).toMatchObject({ refit: true, status: 'completed', epochs: trials[best - 1].best.epoch });
    expect(refit.members).toBeUndefined();
    expect(readFileSync(join(runsDir, 'honest', record.refit.runId, 'spec.yaml'), 'utf8')).not.toMatch(/folds|validationSplit/);
  });

  it('weighs classes in the training loss as data.classWeights says, states it, and refuses a name that is no class before writing anything', () => {
    const file = join(work, 'weights.yaml');
    writeFileSync(file, spec(', classWeights: { setosa: 2 }').replace('epochs: 150', 'epochs: 2'));
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs-weights')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('class weights in the training loss: setosa 2, versicolor 1, virginica 1\n');
    expect(summaryOf(resolve(root, lastLine(run.stdout))).classWeights).toEqual({ setosa: 2, versicolor: 1, virginica: 1 });
    writeFileSync(file, spec(', classWeights: { setosaa: 2 }'));
    const refused = specml(['exp', file, '--runs-dir', join(work, 'runs-weights-refused')]);
    expect(refused).toMatchObject({ status: 2, stderr: 'error: data.classWeights: "setosaa" is not a class (did you mean "setosa"?); the classes are setosa, versicolor, virginica\n' });
    expect(existsSync(join(work, 'runs-weights-refused'))).toBe(false);
  });
});
