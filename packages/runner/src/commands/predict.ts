import { existsSync } from 'node:fs';
import { join } from 'node:path';
import tf = require('@tensorflow/tfjs-core');
import { columnIndex, DATASET_KINDS, encodedWidth, DEFAULT_DATASET, type DatasetName, encodeRows, imageInput, isMissingCell, isUserError, numberFill, numberOf, parseTableEncoding, printable, readCsv, readImageBytes, readRegularFile, rowIndices, UserError, type CsvTable, type TableEncoding } from '@specml/data';
import { csvText, readRun, RUN_FILES, type RunSummary } from '@specml/reporter';
import { ONNX_NAMES, rawInputsOf, rawRowsSupported } from '@specml/model-zoo';
import { activateTfjsBackend, loadModel } from '@specml/trainer';

/** A classifier's prediction: the class (its name and index) and every class's probability, by name. */
export interface ClassPrediction {
  /** The image file, or `rows.csv:LINE` for a table's row. */
  file: string;
  class: string;
  index: number;
  /** Each class's probability, in class order. */
  probabilities: Record<string, number>;
}

/** A regression's prediction: the number, in the target's units. */
export interface ValuePrediction {
  file: string;
  value: number;
}

export type Prediction = ClassPrediction | ValuePrediction;

export interface PredictOutcome {
  classNames: string[];
  predictions: Prediction[];
  /** One message per image (or CSV file) that could not be read. */
  failures: string[];
  /** One message per image predicted from nothing (blank or uniform: no ink found), or per filled cell. */
  warnings: string[];
  /** A table's rows: the model's input columns and each predicted row's cells, as the file has them. */
  inputColumns?: { names: string[]; cells: string[][] };
}

/** Class names recorded by the run (summary.json), else (an older or partial run) the class indices. */
function classNamesOf(summary: RunSummary | null, classCount: number): string[] {
  const names = summary?.classNames;
  return names?.length === classCount ? names : Array.from({ length: classCount }, (_, index) => String(index));
}

/** A table row as its file has it: what an ONNX model that takes raw rows reads. */
export interface RowSource {
  readonly csv: CsvTable;
  readonly row: number;
}

/** What predicts: the run's tfjs model, or its ONNX export through ONNX Runtime (`--onnx`). */
export interface Predictor {
  /** [height, width, channels] of an image model's input, [features] of a table's. */
  readonly inputShape: readonly number[];
  /**
   * Probabilities per example of `count` examples as the model reads them (pixels in 0–1, NHWC; encoded
   * rows), or for an ONNX model that takes raw rows, from the rows' cells (`sources`).
   */
  predict(batch: Float32Array, count: number, sources?: readonly RowSource[]): Promise<number[][]>;
  dispose(): void;
}

export async function tfjsPredictor(runDir: string): Promise<Predictor> {
  const modelDir = join(runDir, 'model');
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new UserError(`--run ${runDir}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)`);
  }
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  const model = await loadModel(modelDir);
  // The model's own input size: a run trained on 32×32 images predicts 32×32 inputs.
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  return {
    inputShape,
    predict: async (batch, count) => tf.tidy(() => (model.predict(tf.tensor(batch, [count, ...inputShape])) as tf.Tensor2D).arraySync()),
    dispose: () => model.dispose(),
  };
}

/** The run's model exported to ONNX (`file`), run by ONNX Runtime: an image model takes pixels 0–255, as image files hold them. */
export async function onnxPredictor(runDir: string, file: string): Promise<Predictor> {
  if (!existsSync(file)) throw new UserError(`--onnx ${file}: no such file (export the run first: npx specml export --run ${runDir})`);
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(file);
  } catch (error) {
    throw new UserError(`--onnx ${file}: ONNX Runtime cannot load it (${(error as Error).message.split('\n')[0]}); export the run again`);
  }
  const { table } = trainingInput(runDir);
  if (table && rawRowsSupported(table) && !session.inputNames.includes(ONNX_NAMES.features)) return rawRowPredictor(session, table, file);
  const input = session.inputMetadata.find((meta) => meta.name === ONNX_NAMES.input || meta.name === ONNX_NAMES.features);
  const dims = input && 'shape' in input ? input.shape.slice(1) : [];
  const image = input?.name === ONNX_NAMES.input;
  if (dims.length !== (image ? 3 : 1) || !dims.every((dim) => typeof dim === 'number' && dim > 0)) {
    throw new UserError(`--onnx ${file}: not a model specml exported (no ${ONNX_NAMES.input} input of [batch, height, width, channels] nor ${ONNX_NAMES.features} of [batch, features])`);
  }
  const output = onnxOutputName(session, file);
  const inputShape = dims as number[];
  return {
    inputShape,
    predict: async (batch, count) => {
      const values = image ? Float32Array.from(batch, (value) => value * 255) : batch;
      const result = await session.run({ [input!.name]: new ort.Tensor('float32', values, [count, ...inputShape]) });
      return rowsOf(result[output].data as Float32Array, count);
    },
    dispose: () => void session.release(),
  };
}

/**
 * An ONNX export that takes a table's raw rows (one input per column): each column's cells go in as they
 * are, numbers as float32 (NaN where missing) and categories as trimmed strings ('' where missing).
 */
async function rawRowPredictor(session: Awaited<ReturnType<typeof import('onnxruntime-node').InferenceSession.create>>, table: TableEncoding, file: string): Promise<Predictor> {
  const ort = await import('onnxruntime-node');
  const inputs = rawInputsOf(table);
  const absent = inputs.find((input) => !session.inputNames.includes(input.name));
  if (absent) throw new UserError(`--onnx ${file}: it has no input "${absent.name}", a column of this run's table (export the run again)`);
  const output = onnxOutputName(session, file);
  return {
    inputShape: [encodedWidth(table.features)],
    predict: async (_, count, sources) => {
      if (!sources) throw new Error('an ONNX model of raw rows predicts from the rows\' cells');
      const cellsOf = rowCells(inputs.map((input) => input.name), sources);
      const feeds = Object.fromEntries(inputs.map(({ name, type }, k) => {
        const cells = cellsOf.map((row, r) => (isMissingCell(sources[r].csv, row[k]) ? undefined : row[k]));
        const tensor = type === 'float' ? new ort.Tensor('float32', Float32Array.from(cells, (cell, r) => (cell === undefined ? Number.NaN : numberOf(sources[r].csv, cell))), [count, 1]) : new ort.Tensor('string', cells.map((cell) => cell?.trim() ?? ''), [count, 1]);
        return [name, tensor];
      }));
      return rowsOf((await session.run(feeds))[output].data as Float32Array, count);
    },
    dispose: () => void session.release(),
  };
}

/** How the run's training read its inputs: the dataset kind (digit-style or not), a table's encoding; and its summary. */
export function trainingInput(runDir: string): { summary: RunSummary | null; dataset: string; digitStyle: boolean; table?: TableEncoding } {
  let dataset: string = DEFAULT_DATASET;
  let summary: RunSummary | null = null;
  try {
    const run = readRun(runDir);
    summary = run.summary;
    const data = run.spec.data as Record<string, unknown> | undefined;
    if (typeof data?.dataset === 'string') dataset = data.dataset;
  } catch {
    // A folder without a readable summary still predicts (the model decides the input size); digits by default.
  }
  const tableFile = join(runDir, RUN_FILES.table);
  // Digit-like datasets: any picture becomes MNIST-style (ink centred by its mass); the others are read as training read them.
  const digitStyle = Object.hasOwn(DATASET_KINDS, dataset) ? DATASET_KINDS[dataset as DatasetName].inkOnPaper : false;
  if (!existsSync(tableFile)) return { summary, dataset, digitStyle };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRegularFile(tableFile));
  } catch (error) {
    throw new UserError(`${tableFile}: not readable JSON (${(error as Error).message}); the run folder is damaged`);
  }
  return { summary, dataset, digitStyle, table: parseTableEncoding(parsed, tableFile) };
}

/**
 * Predicts each image (or each row of each CSV file, for a table's model) with a run's saved model, or with
 * its ONNX export (`onnxFile`), reading them exactly as training did. Files that cannot be read are reported
 * in `failures` and the others are still predicted; a folder without a model is a UserError.
 */
export async function predictFiles(runDir: string, files: readonly string[], onnxFile?: string): Promise<PredictOutcome> {
  const { summary, digitStyle, table } = trainingInput(runDir);
  const predictor = onnxFile === undefined ? await tfjsPredictor(runDir) : await onnxPredictor(runDir, onnxFile);
  const size = predictor.inputShape.reduce((a, b) => a * b, 1);
  const inputs: { file: string; values: Float32Array; source?: RowSource }[] = [];
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    try {
      if (table) inputs.push(...tableRows(file, table, warnings));
      else inputs.push({ file, values: await imageInput(readImageBytes(file), file, predictor.inputShape, digitStyle, warnings) });
    } catch (error) {
      if (!isUserError(error)) throw error;
      failures.push(error.message);
    }
  }
  const predictions: Prediction[] = [];
  let classNames: string[] = summary?.classNames ?? [];
  if (inputs.length > 0) {
    const batch = new Float32Array(inputs.length * size);
    inputs.forEach((input, index) => batch.set(input.values, index * size));
    const sources = table ? inputs.map((input) => input.source!) : undefined;
    const probabilities = await predictor.predict(batch, inputs.length, sources);
    // A regression's saved model gives the target in its own units (training folded the scaling into its last layer).
    if (summary?.task === 'regression') {
      inputs.forEach((input, index) => predictions.push({ file: input.file, value: probabilities[index][0] }));
    } else {
      classNames = classNamesOf(summary, probabilities[0].length);
      inputs.forEach((input, index) => {
        const row = probabilities[index];
        const top = row.indexOf(Math.max(...row));
        predictions.push({ file: input.file, class: classNames[top], index: top, probabilities: Object.fromEntries(classNames.map((name, k) => [name, row[k]])) });
      });
    }
  }
  predictor.dispose();
  return { classNames, predictions, failures, warnings, ...(table ? { inputColumns: inputColumnsOf(table, inputs.map((input) => input.source!)) } : {}) };
}

/** The model's input columns of each predicted row, as its file has them (for --out). */
function inputColumnsOf(table: TableEncoding, sources: readonly RowSource[]): { names: string[]; cells: string[][] } {
  const names = table.features.map((column) => column.name);
  return { names, cells: rowCells(names, sources) };
}

/** Each row's cells of the named columns, as its file has them; each file's columns are found once. */
function rowCells(names: readonly string[], sources: readonly RowSource[]): string[][] {
  const indices = new Map<CsvTable, number[]>();
  const indicesOf = (csv: CsvTable) => {
    if (!indices.has(csv)) indices.set(csv, names.map((name) => columnIndex(csv, name, 'the model\'s input')));
    return indices.get(csv)!;
  };
  return sources.map(({ csv, row }) => indicesOf(csv).map((column) => csv.cell(row, column)));
}

/** The output an exported model answers with: a classifier's probabilities or a regression's prediction. */
function onnxOutputName(session: { readonly outputNames: readonly string[] }, file: string): string {
  const output = [ONNX_NAMES.output, ONNX_NAMES.prediction].find((name) => session.outputNames.includes(name));
  if (!output) throw new UserError(`--onnx ${file}: not a model specml exported (no ${ONNX_NAMES.output} nor ${ONNX_NAMES.prediction} output)`);
  return output;
}

/** A batch's flat output as one array per example. */
function rowsOf(values: Float32Array, count: number): number[][] {
  return Array.from({ length: count }, (_, row) => Array.from(values.subarray((row * values.length) / count, ((row + 1) * values.length) / count)));
}

/** What encoding new rows filled in or could not place, one sentence each (predict and evaluate alike). */
export function encodingWarnings(file: string, table: TableEncoding, filled: number, unseen: number): string[] {
  return [
    ...(filled > 0 ? [`${file}: ${filled} missing number cell${filled === 1 ? '' : 's'} filled with the training ${numberFill(table)}`] : []),
    ...(unseen > 0 ? [`${file}: ${unseen} cell${unseen === 1 ? ' has a category' : 's have categories'} training never saw (encoded as all zeros)`] : []),
  ];
}

/** Every row of a CSV file, encoded with the training statistics and as the file has it; a row is named `file:line`. */
function tableRows(file: string, table: TableEncoding, warnings: string[]): { file: string; values: Float32Array; source: RowSource }[] {
  if (!file.toLowerCase().endsWith('.csv')) throw new UserError(`${file}: this run's model reads table rows: give a CSV file with the columns ${table.features.map((column) => column.name).join(', ')}`);
  const csv = readCsv(file, table.format);
  const rows = rowIndices(csv);
  const { inputs, filled, unseen } = encodeRows(csv, rows, table);
  warnings.push(...encodingWarnings(file, table, filled, unseen));
  const width = inputs.length / Math.max(1, rows.length);
  return rows.map((row) => ({ file: `${file}:${csv.lines[row]}`, values: inputs.subarray(row * width, (row + 1) * width), source: { csv, row } }));
}

/** `digit.png: 7 (7 0.981, 1 0.012, 9 0.003)`: the prediction and the top three probabilities; `rows.csv:2: 23.41` for a number. */
export function describePrediction(prediction: Prediction): string {
  if ('value' in prediction) return `${printable(prediction.file)}: ${Number(prediction.value.toPrecision(6))}`;
  const top = Object.entries(prediction.probabilities)
    .map(([name, probability], index) => ({ name, probability, index }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, 3)
    .map(({ name, probability }) => `${printable(name)} ${probability.toFixed(3)}`);
  return `${printable(prediction.file)}: ${printable(prediction.class)} (${top.join(', ')})`;
}

/**
 * Predictions as a CSV file: one row per input (for a table, `file:line` and the row's input columns as the
 * file has them), its predicted class and each class's probability (a regression: its value).
 */
export function predictionsAsCsv({ predictions, classNames, inputColumns }: Pick<PredictOutcome, 'predictions' | 'classNames' | 'inputColumns'>): string {
  const regression = predictions.some((prediction) => 'value' in prediction);
  const inputs = (index: number) => inputColumns?.cells[index] ?? [];
  const header = ['input', ...(inputColumns?.names ?? []), ...(regression ? ['predicted_value'] : ['predicted_class', ...classNames.map((name) => `probability_${name}`)])];
  const rows = predictions.map((prediction, index) => [prediction.file, ...inputs(index), ...('value' in prediction ? [prediction.value] : [prediction.class, ...classNames.map((name) => prediction.probabilities[name])])]);
  return csvText([header, ...rows]);
}
