import { resolve } from 'node:path';
import { TEST_TEXT_LENGTH, type Dataset, type Imputation, type TableColumn, type TableEncoding, type TestText } from '../dataset.js';
import { printable } from '../printable.js';
import { UserError } from '../errors.js';
import { contentKey, fileDigest, loadThroughCache } from '../cache.js';
import type { Task } from '../metrics-row.js';
import { columnCells, EMPTY, rowIndices } from '../table-cells.js';
import { columnIndex, CSV_DELIMITERS, CSV_ENCODINGS, DEFAULT_CSV_FORMAT, DEFAULT_MISSING_MARKERS, describeColumns, describeDelimiter, encodeRows, inferColumn, isMissingCell, isNumberCell, MAX_CSV_BYTES, numberOf, outOfRange, numberFill, readCsv, sequenceFirst, tableInputOf, type CsvFormat, type ReadingProgress, type CsvTable, type DeclaredColumn } from '../table.js';
import { COLUMN_KINDS, COLUMN_TYPES, type ColumnType } from '../columns/index.js';
import { datasetKind, PATH_PROPERTY, TEST_PROPERTIES, type DataSpecOf } from './kind.js';
import { randomSplit, shuffled, stratifiedIndices } from './split.js';
import { FLOAT32_MAX, meanAndStd, round } from '../statistics.js';

/** The most classes a target column may have (labels are bytes). */
const MAX_CLASSES = 256;

/** Bump when reading or encoding tables changes, so that old cache entries are not used. */
const TABLE_DECODER_VERSION = 3;

/** What `data.columns.<name>` may say: a kind's name, `ignore`, or a kind with its settings ({ type: text, ngrams: 2 }). Checked here; read by declaredColumns. */
const COLUMN_SETTING_SCHEMA: { readonly if: object; readonly then: object; readonly else: object } = {
  // A name, or a mapping told apart by its `type` (so that a mistake gets one error, about its own kind's keys).
  if: { type: 'string' },
  then: { enum: [...COLUMN_TYPES, 'ignore'] },
  else: {
    type: 'object',
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: COLUMN_TYPES.map((type) => ({ type: 'object', additionalProperties: false, properties: { type: { const: type }, ...COLUMN_KINDS[type].settings } })),
  },
};

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
    description: 'csv: the columns the model reads. Default: every column but the target. Numbers are standardised with the training rows\' mean and standard deviation, text becomes a bag of words, other columns one-hot over the training categories (data.columns says how each is read).',
  },
  missing: {
    type: 'array',
    items: { type: 'string' },
    maxItems: 1000,
    description: `csv: the cell texts that mean "missing" (compared after trimming spaces; an empty cell always is). A missing number is filled with the column's training mean, a missing category is encoded as all zeros, a row whose target is missing is left out with a warning. A column whose other cells are numbers stays a number column however many are missing. Default: pandas' markers (${DEFAULT_MISSING_MARKERS.filter((marker) => marker !== '').join(' ')}).`,
  },
  delimiter: {
    enum: [...CSV_DELIMITERS],
    description: 'csv: the field separator. Default: the one the header row uses most among comma, semicolon, tab and vertical bar (the output says which).',
  },
  decimal: {
    enum: ['.', ','],
    description: 'csv: the decimal mark of the numbers: "," for 1,5 as spreadsheets in many languages write it (with semicolon-separated fields). Default: ".".',
  },
  impute: {
    type: 'object',
    additionalProperties: false,
    description: 'csv: how missing cells are filled, from the training rows (scikit-learn\'s SimpleImputer): numbers by the mean (default) or median; categories as "missing" (default: all zeros, a level of its own) or as the most frequent category.',
    properties: {
      numbers: { enum: ['mean', 'median'], description: 'Default: mean.' },
      categories: { enum: ['missing', 'mostFrequent'], description: 'Default: missing.' },
    },
  },
  missingIndicator: {
    type: 'boolean',
    description: 'csv: add a 0/1 input per column that had missing training cells, 1 where the cell was missing (SimpleImputer(add_indicator=True)). Default: false.',
  },
  columns: {
    type: 'object',
    propertyNames: { minLength: 1 },
    additionalProperties: COLUMN_SETTING_SCHEMA,
    maxProperties: 10000,
    description: `csv: what a column is, where guessing from its cells is wrong or a kind takes settings — ${COLUMN_TYPES.map((type) => `\`${type}\`: ${COLUMN_KINDS[type].description}`).join('; ')}; \`ignore\`: left out (an id). Example: { rad: category, id: ignore, review: { type: text, ngrams: 2 } }. Default: numbers where every filled cell is one, text where most cells are several words and few repeat, categories otherwise (the output says which).`,
  },
  encoding: {
    enum: [...CSV_ENCODINGS],
    description: 'csv: the text encoding of the files: utf-8, latin1 (ISO-8859-1, older Excel and Windows exports) or utf-16 (with its byte order mark). Default: utf-8.',
  },
} as const;

type CsvDataSpec = DataSpecOf<typeof CSV_PROPERTIES>;

export const csv = datasetKind({
  schema: { const: 'csv', description: 'your own table: `path` is a CSV file with a header row; one column is the class to predict (`target`), the others are the inputs' },
  inkOnPaper: false,
  numericTargets: true,
  properties: CSV_PROPERTIES,
  required: ['path'],
  load: async (spec, { baseDir, warn, task, onReading }) => {
    const trainFile = resolve(baseDir, spec.path!);
    const testFile = spec.testPath === undefined ? undefined : resolve(baseDir, spec.testPath);
    const decode = (warnOnce: (message: string) => void) => decodeTable(spec, { trainFile, testFile, task, warn: warnOnce, onReading });
    const digests = [fileDigest(trainFile, MAX_CSV_BYTES), testFile === undefined ? null : fileDigest(testFile, MAX_CSV_BYTES)];
    // A file that is missing, too big or not a regular file is not cached: decoding says what is wrong with it.
    if (digests.includes(undefined)) return decode(warn);
    const key = contentKey({ version: TABLE_DECODER_VERSION, task, target: spec.target ?? null, features: spec.features ?? null, columns: spec.columns ?? null, imputation: imputationOf(spec), testSplit: testFile ? null : spec.testSplit ?? 0.2, format: formatOf(spec), digests });
    return loadThroughCache(key, warn, decode);
  },
});

/** How the spec says its files are written. */
function formatOf(spec: CsvDataSpec): CsvFormat {
  return { missing: spec.missing ?? DEFAULT_CSV_FORMAT.missing, delimiter: spec.delimiter, decimal: spec.decimal ?? '.', encoding: spec.encoding ?? 'utf-8' };
}

/** The files of a table dataset, what it predicts, and whom to tell about them. */
interface TableFiles {
  readonly trainFile: string;
  readonly testFile: string | undefined;
  readonly task: Task;
  readonly warn: (message: string) => void;
  readonly onReading: ReadingProgress | undefined;
}

/** The table's rows as a dataset: columns typed and encoded from the training rows, the split made, classes or numbers to predict. */
async function decodeTable(spec: CsvDataSpec, { trainFile, testFile, task, warn, onReading }: TableFiles): Promise<Omit<Dataset, 'validation'>> {
  const format = formatOf(spec);
  const wholeTrainTable = readCsv(trainFile, format, onReading);
  const target = spec.target ?? wholeTrainTable.header.at(-1)!;
  const trainTable = withTarget(wholeTrainTable, target, warn);
  const testTable = testFile === undefined ? undefined : withTarget(readCsv(testFile, format, onReading), target, warn, 'data.testPath (the test file needs the training file\'s columns)');
  const targetColumn = columnIndex(trainTable, target, 'data.target');
  const declared = declaredColumns(spec, trainTable);
  if (declared[target] === null) throw new UserError(`data.columns: "${target}" is the target column, so it cannot be ignored`);
  const featureNames = (spec.features ?? trainTable.header.filter((name) => name !== target)).filter((name) => declared[name] !== null);
  if (featureNames.includes(target)) throw new UserError(`data.features: "${target}" is the target column; a model cannot read what it predicts`);
  if (featureNames.length === 0) throw new UserError(`${trainTable.file}:1: the table has only the target column "${target}"; a model needs at least one input column`);
  const featureColumns = featureNames.map((name) => columnIndex(trainTable, name, 'data.features'));
  if (testTable) for (const name of [target, ...featureNames]) columnIndex(testTable, name, 'data.testPath (the test file needs the training file\'s columns)');
  if (trainTable.rowCount < 2) throw new UserError(`${trainTable.file}: the table has ${trainTable.rowCount} row${trainTable.rowCount === 1 ? '' : 's'}; training needs at least 2`);
  if (task === 'regression') return loadRegression(spec, trainTable, testTable, target, featureColumns, warn);

  const classNames = classesOf(trainTable, targetColumn);
  const labelsOf = (table: CsvTable) => Uint8Array.from({ length: table.rowCount }, (_, r) => {
    const value = table.cell(r, table.header.indexOf(target)).trim();
    const label = classNames.indexOf(value);
    if (label < 0) {
      throw new UserError(`${table.file}:${table.lines[r]}: the class ${JSON.stringify(value)} in column "${target}" does not occur in the training rows (their classes: ${classNames.slice(0, 20).join(', ')}${classNames.length > 20 ? ', …' : ''})`);
    }
    return label;
  });
  const allLabels = labelsOf(trainTable);
  const split = testTable ? { train: shuffled([...allLabels.keys()]), test: [...labelsOf(testTable).keys()] } : stratifiedIndices(allLabels, spec.testSplit ?? 0.2);
  if (split.test.length === 0) throw new UserError(`${trainTable.file}: every class has one row, so none can be held out for testing (add rows or give data.testPath)`);

  const encoding: TableEncoding = { target, features: fitFeatures(spec, trainTable, featureColumns, split.train, declared), format: trainTable.format, distinctValues: distinctValuesOf(trainTable) };
  const train = encodeRows(trainTable, split.train, encoding);
  const testRows = testTable ?? trainTable;
  const test = encodeRows(testRows, split.test, encoding);
  const testLabels = testTable ? labelsOf(testTable) : Uint8Array.from(split.test, (row) => allLabels[row]);
  warnAboutCells(encoding, train.filled + test.filled, test.unseen, warn);

  return {
    name: 'csv',
    train: { inputs: train.inputs, labels: Uint8Array.from(split.train, (row) => allLabels[row]), count: split.train.length },
    test: { inputs: test.inputs, labels: testLabels, count: split.test.length },
    ...tableInputOf(encoding),
    classNames,
    table: encoding,
    ...testTextOf(encoding, testRows, split.test),
    notes: [describeTarget(trainTable, spec, `${classNames.length} classes (${classNames.slice(0, 10).join(', ')}${classNames.length > 10 ? ', …' : ''})`), ...columnNotes(encoding, declared, trainTable, split.train, testRows, split.test)],
  };
}

/**
 * The table without the rows whose target is missing (they cannot be learnt from or scored), said in one
 * counted warning; its target column checked first.
 */
function withTarget(table: CsvTable, target: string, warn: (message: string) => void, key = 'data.target'): CsvTable {
  const column = columnIndex(table, target, key);
  const { kinds } = columnCells(table, column);
  const kept = rowIndices(table).filter((row) => kinds[row] !== EMPTY);
  if (kept.length === table.rowCount) return table;
  const dropped = table.rowCount - kept.length;
  warn(`${table.file}: ${dropped} row${dropped === 1 ? '' : 's'} left out: the target column "${target}" is missing there (first at line ${table.lines[kinds.indexOf(EMPTY)]})`);
  return table.select(kept);
}

/** Each input column's kind and encoder, from the training rows only (the test rows must not leak into the inputs' scaling). */
function fitFeatures(spec: CsvDataSpec, table: CsvTable, columns: readonly number[], trainRows: readonly number[], declared: Readonly<Record<string, DeclaredColumn | null>>): TableColumn[] {
  const features = columns.map((column) => inferColumn(table, column, trainRows, declared[table.header[column]] ?? undefined, imputationOf(spec)));
  return sequenceFirst(features, table.file);
}

/** How the spec says missing cells are filled. */
function imputationOf(spec: CsvDataSpec): Imputation {
  return { numbers: spec.impute?.numbers ?? 'mean', categories: spec.impute?.categories ?? 'missing', indicator: spec.missingIndicator ?? false };
}

/** data.columns, its names checked against the header (did you mean …): each a kind with its settings, or null for `ignore`. */
function declaredColumns(spec: CsvDataSpec, table: CsvTable): Readonly<Record<string, DeclaredColumn | null>> {
  const declared: Record<string, DeclaredColumn | null> = {};
  for (const [name, value] of Object.entries((spec.columns ?? {}) as Record<string, string | { type: ColumnType }>)) {
    columnIndex(table, name, 'data.columns');
    if (value === 'ignore') declared[name] = null;
    else if (typeof value === 'string') declared[name] = { type: value as ColumnType, settings: {} };
    else {
      const { type, ...settings } = value;
      declared[name] = { type, settings };
    }
  }
  return declared;
}

/** Each column's count of different (non-missing) values, up to MAX_CLASSES + 1. */
function distinctValuesOf(table: CsvTable): Record<string, number> {
  return Object.fromEntries(table.header.map((name, column) => {
    const values = new Set<string>();
    for (let row = 0; row < table.rowCount; row++) {
      const cell = table.cell(row, column);
      if (!isMissingCell(table, cell)) values.add(cell.trim());
      if (values.size > MAX_CLASSES) break;
    }
    return [name, values.size];
  }));
}

/** The first line validate and the run print about a table: which column is predicted and why, and how the file was read. */
function describeTarget(table: CsvTable, spec: CsvDataSpec, what: string): string {
  const which = spec.target === undefined ? 'the last column; set data.target to predict another' : 'data.target';
  const delimiter = table.format.delimiter === ',' ? '' : `; fields separated by ${describeDelimiter(table.format.delimiter)}s${spec.delimiter === undefined ? ' (found in the header)' : ''}`;
  return `target ${table.header.find((name) => name === (spec.target ?? table.header.at(-1)))} (${which}): ${what}${delimiter}`;
}

/**
 * A table whose target is a number (task: regression): every target cell must be one; the test rows are a
 * seeded random `fraction` of the rows without a test file; the target's mean and standard deviation come
 * from the training rows.
 */
function loadRegression(spec: CsvDataSpec, trainTable: CsvTable, testTable: CsvTable | undefined, target: string, featureColumns: number[], warn: (message: string) => void): Omit<Dataset, 'validation'> {
  const declared = declaredColumns(spec, trainTable);
  const valuesOf = (table: CsvTable) => Float32Array.from({ length: table.rowCount }, (_, r) => {
    const cell = table.cell(r, table.header.indexOf(target));
    const value = numberOf(table, cell);
    if (Math.abs(value) > FLOAT32_MAX) throw outOfRange(table, r, table.header.indexOf(target));
    if (Number.isNaN(value)) throw new UserError(`${table.file}:${table.lines[r]}: the target column "${target}" holds ${JSON.stringify(cell)}, not a number (task: regression predicts a number; for classes, leave task out; if it means "missing", add it to data.missing)`);
    return value;
  });
  const allValues = valuesOf(trainTable);
  const split = testTable ? { train: shuffled([...allValues.keys()]), test: rowIndices(testTable) } : randomSplit(allValues.length, spec.testSplit ?? 0.2);
  if (split.test.length === 0 || split.train.length < 2) throw new UserError(`${trainTable.file}: ${allValues.length} rows are too few to hold out a test set (add rows or give data.testPath)`);
  const encoding: TableEncoding = { target, features: fitFeatures(spec, trainTable, featureColumns, split.train, declared), format: trainTable.format };
  const train = encodeRows(trainTable, split.train, encoding);
  const test = encodeRows(testTable ?? trainTable, split.test, encoding);
  warnAboutCells(encoding, train.filled + test.filled, test.unseen, warn);
  const trainValues = Float32Array.from(split.train, (row) => allValues[row]);
  const testValues = testTable ? valuesOf(testTable) : Float32Array.from(split.test, (row) => allValues[row]);
  const { mean, std } = meanAndStd(trainValues);
  if (testValues.every((value) => value === testValues[0])) {
    warn(`every test row's ${target} is ${testValues[0]}: R² (the share of the test target's variance explained) is undefined for a constant target and is left empty; MAE and RMSE still say how far off the model is`);
  }
  return {
    name: 'csv',
    train: { inputs: train.inputs, labels: trainValues, count: split.train.length },
    test: { inputs: test.inputs, labels: testValues, count: split.test.length },
    ...tableInputOf(encoding),
    classNames: [],
    target: { name: target, mean, std },
    table: encoding,
    ...testTextOf(encoding, testTable ?? trainTable, split.test),
    notes: [describeTarget(trainTable, spec, `a number, mean ${round(mean)}, standard deviation ${round(std)}, from ${round(Math.min(...trainValues))} to ${round(Math.max(...trainValues))}`), ...columnNotes(encoding, declared, trainTable, split.train, testTable ?? trainTable, split.test)],
  };
}

function warnAboutCells(encoding: TableEncoding, filled: number, unseen: number, warn: (message: string) => void): void {
  if (filled > 0) warn(`${filled} missing number cell${filled === 1 ? ' was' : 's were'} filled with the training ${numberFill(encoding)} of the column`);
  if (unseen > 0) warn(`${unseen} test cell${unseen === 1 ? ' has a category' : 's have categories'} the training rows do not have (encoded as all zeros)`);
}

/** The test rows' cells of the first text column, on one line and shortened, to show beside their predictions. */
function testTextOf(encoding: TableEncoding, table: CsvTable, rows: readonly number[]): { testText?: TestText } {
  const column = encoding.features.find((feature) => feature.type === 'text');
  if (!column) return {};
  const index = table.header.indexOf(column.name);
  const shortened = (cell: string) => {
    const line = printable(cell.replace(/\s+/g, ' ').trim());
    if (line.length <= TEST_TEXT_LENGTH) return line;
    // Never cut between the two halves of a character outside the BMP (an emoji).
    const end = /[\uD800-\uDBFF]/.test(line[TEST_TEXT_LENGTH - 2]) ? TEST_TEXT_LENGTH - 2 : TEST_TEXT_LENGTH - 1;
    return `${line.slice(0, end)}…`;
  };
  return { testText: { column: column.name, cells: rows.map((row) => (isMissingCell(table, table.cell(row, index)) ? '' : shortened(table.cell(row, index)))) } };
}

/** What validate prints about each input column; a column read as text without being declared says how to say otherwise. */
function columnNotes(encoding: TableEncoding, declared: Readonly<Record<string, DeclaredColumn | null>>, train: CsvTable, trainRows: readonly number[], test: CsvTable, testRows: readonly number[]): string[] {
  return describeColumns(encoding, train, trainRows, test, testRows).map((note, k) => {
    const { name, type } = encoding.features[k];
    return type === 'text' && declared[name] === undefined ? `${note} (read as text: most cells are several words and few repeat; data.columns: { ${name}: category } says otherwise)` : note;
  });
}

/** The target column's classes: its distinct training values, numbers in numeric order, words sorted. */
function classesOf(table: CsvTable, column: number): string[] {
  const values = [...new Set(rowIndices(table).map((row) => table.cell(row, column).trim()))];
  if (values.length > MAX_CLASSES) {
    const numeric = values.every(isNumberCell);
    throw new UserError(`${table.file}:1: the target column "${table.header[column]}" has ${values.length} different values, more than the ${MAX_CLASSES} classes specml trains${numeric ? ' (it holds numbers: to predict a number, set task: regression)' : ''}`);
  }
  if (values.length < 2) throw new UserError(`${table.file}:1: the target column "${table.header[column]}" has ${values.length === 0 ? 'no values' : `only one value (${values[0]})`}; a classifier needs at least 2 classes`);
  return values.every(isNumberCell) ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}
