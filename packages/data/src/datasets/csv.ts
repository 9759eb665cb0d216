import { resolve } from 'node:path';
import type { Dataset, TableEncoding } from '../dataset.js';
import { UserError } from '../errors.js';
import { contentKey, fileDigest, loadThroughCache } from '../cache.js';
import type { Task } from '../metrics-row.js';
import { columnIndex, emptyCellCount, encodedWidth, encodeRows, inferColumn, isEmptyCell, isNumberCell, MAX_CSV_BYTES, readCsv, type CsvTable } from '../table.js';
import { datasetKind, PATH_PROPERTY, TEST_PROPERTIES, type DataSpecOf } from './kind.js';
import { randomSplit, shuffled, stratifiedIndices } from './split.js';

/** The most classes a target column may have (labels are bytes). */
const MAX_CLASSES = 256;

/** Bump when reading or encoding tables changes, so that old cache entries are not used. */
const TABLE_DECODER_VERSION = 1;

const CSV_PROPERTIES = {
  path: PATH_PROPERTY,
  ...TEST_PROPERTIES,
  target: {
    type: 'string',
    minLength: 1,
    description: 'csv: the column to predict. Default: the last column.',
  },
  features: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    minItems: 1,
    uniqueItems: true,
    description: 'csv: the columns the model reads. Default: every column but the target. Numbers are standardised with the training rows\' mean and standard deviation, other columns one-hot over the training categories.',
  },
} as const;

type CsvDataSpec = DataSpecOf<typeof CSV_PROPERTIES>;

export const csv = datasetKind({
  description: 'your own table: `path` is a CSV file with a header row; one column is the class to predict (`target`), the others are the inputs',
  inkOnPaper: false,
  numericTargets: true,
  properties: CSV_PROPERTIES,
  required: ['path'],
  load: async (spec, { baseDir, warn, task }) => {
    const trainFile = resolve(baseDir, spec.path!);
    const testFile = spec.testPath === undefined ? undefined : resolve(baseDir, spec.testPath);
    const decode = (warnOnce: (message: string) => void) => decodeTable(spec, trainFile, testFile, task, warnOnce);
    const digests = [fileDigest(trainFile, MAX_CSV_BYTES), testFile === undefined ? null : fileDigest(testFile, MAX_CSV_BYTES)];
    // A file that is missing, too big or not a regular file is not cached: decoding says what is wrong with it.
    if (digests.includes(undefined)) return decode(warn);
    const key = contentKey({ version: TABLE_DECODER_VERSION, task, target: spec.target ?? null, features: spec.features ?? null, testSplit: testFile ? null : spec.testSplit ?? 0.2, digests });
    return loadThroughCache(key, warn, decode);
  },
});

/** The table's rows as a dataset: columns typed and encoded from the training rows, the split made, classes or numbers to predict. */
async function decodeTable(spec: CsvDataSpec, trainFile: string, testFile: string | undefined, task: Task, warn: (message: string) => void): Promise<Omit<Dataset, 'validation'>> {
  const trainTable = readCsv(trainFile);
  const testTable = testFile === undefined ? undefined : readCsv(testFile);
  const target = spec.target ?? trainTable.header.at(-1)!;
  const targetColumn = columnIndex(trainTable, target, 'data.target');
  const featureNames = spec.features ?? trainTable.header.filter((name) => name !== target);
  if (featureNames.includes(target)) throw new UserError(`data.features: "${target}" is the target column; a model cannot read what it predicts`);
  if (featureNames.length === 0) throw new UserError(`${trainTable.file}:1: the table has only the target column "${target}"; a model needs at least one input column`);
  const featureColumns = featureNames.map((name) => columnIndex(trainTable, name, 'data.features'));
  if (testTable) for (const name of [target, ...featureNames]) columnIndex(testTable, name, 'data.testPath (the test file needs the training file\'s columns)');
  if (trainTable.rows.length < 2) throw new UserError(`${trainTable.file}: the table has ${trainTable.rows.length} row${trainTable.rows.length === 1 ? '' : 's'}; training needs at least 2`);
  if (task === 'regression') return loadRegression(spec.testSplit ?? 0.2, trainTable, testTable, target, featureColumns, warn);

  const classNames = classesOf(trainTable, targetColumn);
  const labelsOf = (table: CsvTable) => Uint8Array.from(table.rows, (row, r) => {
    const value = row[table.header.indexOf(target)].trim();
    const label = classNames.indexOf(value);
    if (label < 0) {
      throw new UserError(value === ''
        ? `${table.file}:${table.lines[r]}: the target column "${target}" is empty in this row (every row needs its class)`
        : `${table.file}:${table.lines[r]}: the class ${JSON.stringify(value)} in column "${target}" does not occur in the training rows (their classes: ${classNames.slice(0, 20).join(', ')}${classNames.length > 20 ? ', …' : ''})`);
    }
    return label;
  });
  const allLabels = labelsOf(trainTable);
  const split = testTable ? { train: shuffled([...allLabels.keys()]), test: [...labelsOf(testTable).keys()] } : stratifiedIndices(allLabels, spec.testSplit ?? 0.2);
  if (split.test.length === 0) throw new UserError(`${trainTable.file}: every class has one row, so none can be held out for testing (add rows or give data.testPath)`);

  // Statistics from the training rows only: the test rows must not leak into the inputs' scaling.
  const encoding: TableEncoding = { target, features: featureColumns.map((column) => inferColumn(trainTable, column, split.train)) };
  const train = encodeRows(trainTable, split.train, encoding);
  const testRows = testTable ?? trainTable;
  const test = encodeRows(testRows, split.test, encoding);
  const testLabels = testTable ? labelsOf(testTable) : Uint8Array.from(split.test, (row) => allLabels[row]);
  warnAboutCells(train.filled + test.filled, test.unseen, warn);

  return {
    name: 'csv',
    train: { inputs: train.inputs, labels: Uint8Array.from(split.train, (row) => allLabels[row]), count: split.train.length },
    test: { inputs: test.inputs, labels: testLabels, count: split.test.length },
    inputShape: [encodedWidth(encoding.features)],
    classNames,
    table: encoding,
    notes: columnNotes(trainTable, encoding),
  };
}

/**
 * A table whose target is a number (task: regression): every target cell must be one; the test rows are a
 * seeded random `fraction` of the rows without a test file; the target's mean and standard deviation come
 * from the training rows.
 */
function loadRegression(fraction: number, trainTable: CsvTable, testTable: CsvTable | undefined, target: string, featureColumns: number[], warn: (message: string) => void): Omit<Dataset, 'validation'> {
  const valuesOf = (table: CsvTable) => Float32Array.from(table.rows, (row, r) => {
    const cell = row[table.header.indexOf(target)];
    if (isEmptyCell(cell)) throw new UserError(`${table.file}:${table.lines[r]}: the target column "${target}" is empty in this row (every row needs the number to predict)`);
    if (!isNumberCell(cell)) throw new UserError(`${table.file}:${table.lines[r]}: the target column "${target}" holds ${JSON.stringify(cell)}, not a number (task: regression predicts a number; for classes, leave task out)`);
    return Number(cell);
  });
  const allValues = valuesOf(trainTable);
  const split = testTable ? { train: shuffled([...allValues.keys()]), test: [...testTable.rows.keys()] } : randomSplit(allValues.length, fraction);
  if (split.test.length === 0 || split.train.length < 2) throw new UserError(`${trainTable.file}: ${allValues.length} rows are too few to hold out a test set (add rows or give data.testPath)`);
  const encoding: TableEncoding = { target, features: featureColumns.map((column) => inferColumn(trainTable, column, split.train)) };
  const train = encodeRows(trainTable, split.train, encoding);
  const test = encodeRows(testTable ?? trainTable, split.test, encoding);
  warnAboutCells(train.filled + test.filled, test.unseen, warn);
  const trainValues = Float32Array.from(split.train, (row) => allValues[row]);
  const testValues = testTable ? valuesOf(testTable) : Float32Array.from(split.test, (row) => allValues[row]);
  const mean = trainValues.reduce((sum, value) => sum + value, 0) / trainValues.length;
  const std = Math.sqrt(trainValues.reduce((sum, value) => sum + (value - mean) ** 2, 0) / trainValues.length) || 1;
  return {
    name: 'csv',
    train: { inputs: train.inputs, labels: trainValues, count: split.train.length },
    test: { inputs: test.inputs, labels: testValues, count: split.test.length },
    inputShape: [encodedWidth(encoding.features)],
    classNames: [],
    target: { name: target, mean, std },
    table: encoding,
    notes: [...columnNotes(trainTable, encoding), `target ${target}: number, mean ${round(mean)}, standard deviation ${round(std)}`],
  };
}

function warnAboutCells(filled: number, unseen: number, warn: (message: string) => void): void {
  if (filled > 0) warn(`${filled} empty number cell${filled === 1 ? ' was' : 's were'} filled with the training mean of the column`);
  if (unseen > 0) warn(`${unseen} test cell${unseen === 1 ? ' has a category' : 's have categories'} the training rows do not have (encoded as all zeros)`);
}

/** What validate prints about each input column. */
function columnNotes(table: CsvTable, encoding: TableEncoding): string[] {
  return encoding.features.map((column) => {
    const empty = emptyCellCount(table, table.header.indexOf(column.name));
    const missing = empty > 0 ? `, ${empty} empty` : '';
    return column.type === 'number'
      ? `column ${column.name}: number, mean ${round(column.mean)}, standard deviation ${round(column.std)}${missing}`
      : `column ${column.name}: category, ${column.categories.length} values (${column.categories.slice(0, 8).join(', ')}${column.categories.length > 8 ? ', …' : ''})${missing}`;
  });
}

/** The target column's classes: its distinct training values, numbers in numeric order, words sorted. */
function classesOf(table: CsvTable, column: number): string[] {
  const values = [...new Set(table.rows.map((row) => row[column].trim()).filter((value) => value !== ''))];
  if (values.length > MAX_CLASSES) {
    const numeric = values.every(isNumberCell);
    throw new UserError(`${table.file}:1: the target column "${table.header[column]}" has ${values.length} different values, more than the ${MAX_CLASSES} classes specml trains${numeric ? ' (it holds numbers: to predict a number, set task: regression)' : ''}`);
  }
  if (values.length < 2) throw new UserError(`${table.file}:1: the target column "${table.header[column]}" has ${values.length === 0 ? 'no values' : `only one value (${values[0]})`}; a classifier needs at least 2 classes`);
  return values.every(isNumberCell) ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

const round = (value: number) => Number(value.toPrecision(4));
