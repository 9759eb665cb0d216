import { resolve } from 'node:path';
import type { TableEncoding } from '../dataset.js';
import { UserError } from '../errors.js';
import { columnIndex, encodedWidth, encodeRows, inferColumn, isEmptyCell, isNumberCell, readCsv, type CsvTable } from '../table.js';
import { datasetKind, PATH_PROPERTY, TEST_PROPERTIES } from './kind.js';
import { shuffled, stratifiedIndices } from './split.js';

/** The most classes a target column may have (labels are bytes). */
const MAX_CLASSES = 256;

export const csv = datasetKind({
  description: 'your own table: `path` is a CSV file with a header row; one column is the class to predict (`target`), the others are the inputs',
  inkOnPaper: false,
  properties: {
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
  },
  required: ['path'],
  load: async (spec, { baseDir, warn }) => {
    const trainTable = readCsv(resolve(baseDir, spec.path!));
    const testTable = spec.testPath === undefined ? undefined : readCsv(resolve(baseDir, spec.testPath));
    const target = spec.target ?? trainTable.header.at(-1)!;
    const targetColumn = columnIndex(trainTable, target, 'data.target');
    const featureNames = spec.features ?? trainTable.header.filter((name) => name !== target);
    if (featureNames.includes(target)) throw new UserError(`data.features: "${target}" is the target column; a model cannot read what it predicts`);
    if (featureNames.length === 0) throw new UserError(`${trainTable.file}:1: the table has only the target column "${target}"; a model needs at least one input column`);
    const featureColumns = featureNames.map((name) => columnIndex(trainTable, name, 'data.features'));
    if (testTable) for (const name of [target, ...featureNames]) columnIndex(testTable, name, spec.features ? 'data.features' : 'the training file\'s column');
    if (trainTable.rows.length < 2) throw new UserError(`${trainTable.file}: the table has ${trainTable.rows.length} row${trainTable.rows.length === 1 ? '' : 's'}; training needs at least 2`);

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
    const filled = train.filled + test.filled;
    if (filled > 0) warn(`${filled} empty number cell${filled === 1 ? ' was' : 's were'} filled with the training mean of the column`);
    if (test.unseen > 0) warn(`${test.unseen} test cell${test.unseen === 1 ? ' has a category' : 's have categories'} the training rows do not have (encoded as all zeros)`);

    return {
      name: 'csv',
      train: { inputs: train.inputs, labels: Uint8Array.from(split.train, (row) => allLabels[row]), count: split.train.length },
      test: { inputs: test.inputs, labels: testLabels, count: split.test.length },
      inputShape: [encodedWidth(encoding.features)],
      classNames,
      table: encoding,
      notes: encoding.features.map((column) => {
        const index = trainTable.header.indexOf(column.name);
        const empty = trainTable.rows.filter((row) => isEmptyCell(row[index])).length;
        const missing = empty > 0 ? `, ${empty} empty` : '';
        return column.type === 'number'
          ? `column ${column.name}: number, mean ${round(column.mean)}, standard deviation ${round(column.std)}${missing}`
          : `column ${column.name}: category, ${column.categories.length} values (${column.categories.slice(0, 8).join(', ')}${column.categories.length > 8 ? ', …' : ''})${missing}`;
      }),
    };
  },
});

/** The target column's classes: its distinct training values, numbers in numeric order, words sorted. */
function classesOf(table: CsvTable, column: number): string[] {
  const values = [...new Set(table.rows.map((row) => row[column].trim()).filter((value) => value !== ''))];
  if (values.length > MAX_CLASSES) {
    const numeric = values.every(isNumberCell);
    throw new UserError(`${table.file}:1: the target column "${table.header[column]}" has ${values.length} different values, more than the ${MAX_CLASSES} classes specml trains${numeric ? ' (it holds numbers: predicting a number is regression, which specml does not do yet)' : ''}`);
  }
  if (values.length < 2) throw new UserError(`${table.file}:1: the target column "${table.header[column]}" has ${values.length === 0 ? 'no values' : `only one value (${values[0]})`}; a classifier needs at least 2 classes`);
  return values.every(isNumberCell) ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

const round = (value: number) => Number(value.toPrecision(4));
