import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { columnIndex, encodeRows, isMissingCell, METRIC_KINDS, metricNamesOf, numberOf, perClassScores, predictedClasses, readCsv, rowIndices, UserError, type TableEncoding } from '@specml/data';
import { confusionCsv, confusionMatrix, perClassCsv, renderConfusion, renderPredictedVersusTrue, RUN_FILES, writeFileAtomic } from '@specml/reporter';
import { newRunId } from '../run/run-folder.js';
import { encodingWarnings, onnxPredictor, tfjsPredictor, trainingInput, type RowSource } from './predict.js';

// `evaluate`: the saved model scored on a labelled file the run never saw, written to a folder of its own
// inside the run (evaluate-<time>/), so that scoring never changes the run's own results.

export interface EvaluateOutcome {
  readonly dir: string;
  /** What was measured, a few lines for the console. */
  readonly text: string;
  readonly warnings: string[];
}

/** The labelled rows of the files: the inputs encoded as training encoded them, and each row's class index or number. */
function labelledRows(files: readonly string[], table: TableEncoding, classNames: readonly string[], regression: boolean, warnings: string[]) {
  const inputs: Float32Array[] = [];
  const targets: number[] = [];
  const sources: RowSource[] = [];
  for (const file of files) {
    const csv = readCsv(file, table.format);
    const target = columnIndex(csv, table.target, 'the target column (evaluate needs labelled rows)');
    const rows = rowIndices(csv).filter((row) => !isMissingCell(csv, csv.cell(row, target)));
    if (rows.length < csv.rowCount) warnings.push(`${file}: ${csv.rowCount - rows.length} rows left out: their target "${table.target}" is missing`);
    for (const row of rows) {
      const cell = csv.cell(row, target).trim();
      const value = regression ? numberOf(csv, cell) : classNames.indexOf(cell);
      if (regression ? !Number.isFinite(value) : value < 0) {
        throw new UserError(`${file}:${csv.lines[row]}: the target "${table.target}" holds ${JSON.stringify(cell)}, ${regression ? 'not a number' : `not one of the model's classes (${classNames.slice(0, 20).join(', ')})`}`);
      }
      targets.push(value);
    }
    const { inputs: encoded, filled, unseen } = encodeRows(csv, rows, table);
    warnings.push(...encodingWarnings(file, table, filled, unseen));
    inputs.push(encoded);
    sources.push(...rows.map((row) => ({ csv, row })));
  }
  const all = new Float32Array(inputs.reduce((sum, part) => sum + part.length, 0));
  inputs.reduce((offset, part) => (all.set(part, offset), offset + part.length), 0);
  return { inputs: all, targets, sources };
}

/** Scores a table run's model (or its ONNX export) on labelled CSV files; writes evaluate-<time>/ in the run folder. */
export async function evaluateRun(runDir: string, files: readonly string[], onnxFile?: string): Promise<EvaluateOutcome> {
  const { summary, table } = trainingInput(runDir);
  if (!table || !summary) throw new UserError(`--run ${runDir}: evaluate scores a table's model on labelled CSV rows; this run has no table.json (image runs are scored on their test images when they train)`);
  const regression = summary.task === 'regression';
  const warnings: string[] = [];
  const { inputs, targets, sources } = labelledRows(files, table, summary.classNames, regression, warnings);
  if (targets.length === 0) throw new UserError(`${files.join(', ')}: no labelled rows to score`);
  const predictor = onnxFile === undefined ? await tfjsPredictor(runDir) : await onnxPredictor(runDir, onnxFile);
  const outputs = (await predictor.predict(inputs, targets.length, sources)).flat();
  predictor.dispose();
  const dir = join(runDir, `evaluate-${newRunId()}`);
  mkdirSync(dir, { recursive: true });
  const scored = `${targets.length} rows of ${files.join(', ')}${onnxFile ? ` (ONNX Runtime, ${onnxFile})` : ''}`;
  const classes = regression ? 1 : summary.classNames.length;
  const probabilities = Float32Array.from(outputs);
  // Every metric of the task (metrics/ in @specml/data), as the run's test columns are computed; null where undefined.
  const scores = Object.fromEntries(metricNamesOf(summary.task).map((name) => [name, METRIC_KINDS[name].score({ truth: targets, predictions: probabilities, classes })]));
  const metrics = { rows: targets.length, ...Object.fromEntries(Object.entries(scores).map(([name, value]) => [name, Number.isFinite(value) ? value : null])) };
  writeFileAtomic(join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  if (regression) {
    writeFileAtomic(join(dir, RUN_FILES.predictedVersusTruePicture), await renderPredictedVersusTrue(targets, outputs, table.target, `${summary.name}: predicted against true ${table.target} on ${scored}`));
    return { dir, warnings, text: `scored ${scored}: MAE ${scores.mae.toFixed(4)}, RMSE ${scores.rmse.toFixed(4)}, R² ${Number.isFinite(scores.r2) ? scores.r2.toFixed(4) : 'undefined (a constant target)'}\n` };
  }
  const predicted = predictedClasses(probabilities, classes);
  const matrix = confusionMatrix(targets, Array.from(predicted), classes);
  writeFileAtomic(join(dir, RUN_FILES.confusion), confusionCsv(matrix, summary.classNames));
  writeFileAtomic(join(dir, 'per-class.csv'), perClassCsv(perClassScores(targets, predicted, classes), summary.classNames));
  writeFileAtomic(join(dir, RUN_FILES.confusionPicture), await renderConfusion(matrix, summary.classNames, `${summary.name}: confusion matrix on ${scored}`));
  const auc = Number.isFinite(scores.auc) ? scores.auc.toFixed(4) : 'undefined (a class has no row)';
  return { dir, warnings, text: `scored ${scored}: accuracy ${scores.accuracy.toFixed(4)}, macro F1 ${scores.f1.toFixed(4)}, ROC AUC ${auc}\n` };
}
