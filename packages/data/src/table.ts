import { parse } from 'csv-parse/sync';
import type { TableColumn, TableEncoding } from './dataset.js';
import { UserError } from './errors.js';
import { nearestName } from './near-names.js';
import { readRegularBytes, whyUnreadable } from './safe-files.js';

/** Larger CSV files are refused before reading (they are held in memory as text and as rows). */
export const MAX_CSV_BYTES = 512 * 2 ** 20;

/** A CSV file's header and rows, each row with the line it starts on (for messages). */
export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly string[][];
  readonly lines: readonly number[];
}

/**
 * Reads a CSV file by RFC 4180 (csv-parse): a header row, quoted fields, commas and line breaks inside
 * quotes, CRLF, a UTF-8 BOM. A ragged row or a broken quote is a UserError at its `file:line`.
 */
export function readCsv(file: string): CsvTable {
  let text: string;
  try {
    text = readRegularBytes(file, MAX_CSV_BYTES).toString('utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read the CSV file: ${whyUnreadable(error, MAX_CSV_BYTES, 'a CSV file')}`);
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: false }) as never;
  } catch (error) {
    const { lines, message, code, record } = error as { lines?: number; message: string; code?: string; record?: unknown[] };
    if (code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && headerWidth(text) !== undefined) {
      throw new UserError(`${file}:${lines ?? '?'}: this row has ${record?.length ?? '?'} fields but the header has ${headerWidth(text)} (quote fields that hold commas)`);
    }
    const reason = message.replace(/ (on|at) line \d+$/, '');
    throw new UserError(`${file}:${lines ?? '?'}: not valid CSV: ${reason}`);
  }
  if (records.length === 0) throw new UserError(`${file}: the file is empty (a CSV table needs a header row and rows)`);
  const header = records[0].record.map((name) => name.trim());
  header.forEach((name, index) => {
    if (name === '') throw new UserError(`${file}:1: column ${index + 1} has no name (the first row must name every column)`);
    if (header.indexOf(name) !== index) throw new UserError(`${file}:1: the column name "${name}" appears twice`);
  });
  const rows = records.slice(1);
  return { file, header, rows: rows.map((row) => row.record), lines: rows.map((row) => row.info.lines) };
}

/** How many fields the header row has (for the message about a ragged row). */
function headerWidth(text: string): number | undefined {
  try {
    return (parse(text, { bom: true, to_line: 1 }) as string[][])[0]?.length;
  } catch {
    return undefined;
  }
}

/** The column's index, or a UserError naming the closest column name. */
export function columnIndex(table: CsvTable, name: string, key: string): number {
  const index = table.header.indexOf(name);
  if (index >= 0) return index;
  const guess = nearestName(name, table.header);
  throw new UserError(`${table.file}:1: ${key}: no column "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; the columns are ${table.header.join(', ')}`);
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
export const isNumberCell = (cell: string) => NUMBER.test(cell);
export const isEmptyCell = (cell: string) => cell.trim() === '';

/** What a column's cells hold, read once: each cell's kind and, for a number, its value (NaN otherwise). */
interface ColumnCells {
  readonly kinds: Uint8Array;
  readonly numbers: Float64Array;
}
const EMPTY = 0;
const NUMBER_CELL = 1;
const WORD = 2;
const cellsByTable = new WeakMap<CsvTable, Map<number, ColumnCells>>();

/** A column's cells classified once per table (type inference and encoding both need them; tables have millions). */
function columnCells(table: CsvTable, column: number): ColumnCells {
  let columns = cellsByTable.get(table);
  if (!columns) cellsByTable.set(table, (columns = new Map()));
  let cells = columns.get(column);
  if (!cells) {
    const kinds = new Uint8Array(table.rows.length);
    const numbers = new Float64Array(table.rows.length).fill(Number.NaN);
    table.rows.forEach((row, index) => {
      const cell = row[column];
      if (isEmptyCell(cell)) return; // kinds[index] stays EMPTY
      if (isNumberCell(cell)) {
        kinds[index] = NUMBER_CELL;
        numbers[index] = Number(cell);
      } else kinds[index] = WORD;
    });
    columns.set(column, (cells = { kinds, numbers }));
  }
  return cells;
}

/** How many of a column's cells are empty (for `validate`). */
export function emptyCellCount(table: CsvTable, column: number): number {
  return columnCells(table, column).kinds.reduce((count, kind) => count + (kind === EMPTY ? 1 : 0), 0);
}

/**
 * A column's type and statistics from the training rows (Ludwig's type inference, simply): numbers when every
 * non-empty cell is one; a column of numbers with a few words in it (at most 10 % of its cells) is a mistake,
 * reported at the first word's line; otherwise categories.
 */
export function inferColumn(table: CsvTable, column: number, rows: readonly number[]): TableColumn {
  const name = table.header[column];
  const { kinds, numbers } = columnCells(table, column);
  let filled = 0;
  let numeric = 0;
  let sum = 0;
  for (const row of rows) {
    if (kinds[row] === EMPTY) continue;
    filled++;
    if (kinds[row] === NUMBER_CELL) {
      numeric++;
      sum += numbers[row];
    }
  }
  if (filled > 0 && numeric === filled) {
    const mean = sum / filled;
    let squares = 0;
    for (const row of rows) if (kinds[row] === NUMBER_CELL) squares += (numbers[row] - mean) ** 2;
    return { name, type: 'number', mean, std: Math.sqrt(squares / filled) || 1 };
  }
  if (numeric > 0 && numeric >= 0.9 * filled) {
    const row = rows.find((r) => kinds[r] === WORD)!;
    throw new UserError(`${table.file}:${table.lines[row]}: column "${name}" holds numbers except here: ${JSON.stringify(table.rows[row][column])} (fix the cell, or leave it empty to fill it with the column's mean)`);
  }
  const categories = [...new Set(rows.filter((row) => kinds[row] !== EMPTY).map((row) => table.rows[row][column].trim()))].sort();
  if (categories.length > MAX_CATEGORIES) {
    throw new UserError(`${table.file}:1: column "${name}" has ${categories.length} different words, more than the ${MAX_CATEGORIES} categories a column may have (one input each): is it an identifier or free text? List the columns to read in data.features`);
  }
  return { name, type: 'category', categories };
}

/** The most categories one column may be one-hot encoded into (an identifier column would make an input per row). */
export const MAX_CATEGORIES = 1000;

/** How many inputs the model has for these columns: one per number, one per category. */
export function encodedWidth(columns: readonly TableColumn[]): number {
  return columns.reduce((sum, column) => sum + (column.type === 'number' ? 1 : column.categories.length), 0);
}

/**
 * The rows as the model's input vectors: numbers standardised (an empty cell becomes the training mean,
 * i.e. 0), categories one-hot (an empty or unseen one all zeros). Counts what it filled, for warnings.
 */
export function encodeRows(table: CsvTable, rows: readonly number[], encoding: TableEncoding): { inputs: Float32Array; filled: number; unseen: number } {
  const width = encodedWidth(encoding.features);
  const inputs = new Float32Array(rows.length * width);
  let filled = 0;
  let unseen = 0;
  let offset = 0;
  for (const column of encoding.features) {
    const index = columnIndex(table, column.name, 'the model\'s input');
    const { kinds, numbers } = columnCells(table, index);
    if (column.type === 'number') {
      rows.forEach((row, r) => {
        if (kinds[row] === EMPTY) filled++;
        else if (kinds[row] === WORD) throw new UserError(`${table.file}:${table.lines[row]}: column "${column.name}" holds numbers, but this row has ${JSON.stringify(table.rows[row][index])}`);
        else inputs[r * width + offset] = (numbers[row] - column.mean) / column.std;
      });
      offset += 1;
    } else {
      const categoryOf = new Map(column.categories.map((category, k) => [category, k]));
      rows.forEach((row, r) => {
        if (kinds[row] === EMPTY) return;
        const category = categoryOf.get(table.rows[row][index].trim());
        if (category === undefined) unseen++;
        else inputs[r * width + offset + category] = 1;
      });
      offset += column.categories.length;
    }
  }
  return { inputs, filled, unseen };
}

/** A table encoding read back from a run folder (untrusted): checked field by field, else a UserError naming the file. */
export function parseTableEncoding(value: unknown, file: string): TableEncoding {
  const bad = (what: string) => new UserError(`${file}: ${what}; the run folder is damaged (train the run again)`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const { target, features } = value as Record<string, unknown>;
  if (typeof target !== 'string' || !Array.isArray(features) || features.length === 0 || features.length > 100_000) throw bad('expected a target name and a list of feature columns');
  return {
    target,
    features: features.map((column: unknown, index): TableColumn => {
      const { name, type, mean, std, categories } = (column ?? {}) as Record<string, unknown>;
      if (typeof name !== 'string') throw bad(`feature ${index} has no name`);
      if (type === 'number' && Number.isFinite(mean) && Number.isFinite(std) && (std as number) > 0) return { name, type, mean: mean as number, std: std as number };
      if (type === 'category' && Array.isArray(categories) && categories.every((category) => typeof category === 'string')) return { name, type, categories: categories as string[] };
      throw bad(`feature "${name}" is neither a number column (mean, std) nor a category column (categories)`);
    }),
  };
}
