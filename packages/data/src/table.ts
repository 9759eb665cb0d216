import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import type { Imputation, TableColumn, TableEncoding, TableFormat } from './dataset.js';
import { UserError } from './errors.js';
import { nearestName } from './near-names.js';
import { readRegularBytes, whyUnreadable } from './safe-files.js';
import { FLOAT32_MAX, meanAndStd } from './statistics.js';

/** Larger CSV files are refused before reading (they are held in memory as text and as rows). */
export const MAX_CSV_BYTES = 512 * 2 ** 20;

/** The cell texts that mean "missing" unless `data.missing` says otherwise: pandas' `na_values` (what R, Excel and databases write). */
export const DEFAULT_MISSING_MARKERS: readonly string[] = ['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null'];
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
export const CSV_ENCODINGS = ['utf-8', 'latin1', 'utf-16'] as const;

export type CsvFormat = TableFormat;

export const DEFAULT_CSV_FORMAT: CsvFormat = { missing: DEFAULT_MISSING_MARKERS, decimal: '.', encoding: 'utf-8' };

/** A CSV file's header and rows, each row with the line it starts on (for messages), and how it was written. */
export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly string[][];
  readonly lines: readonly number[];
  readonly format: CsvFormat & { readonly delimiter: string };
}

/**
 * Reads a CSV file by RFC 4180 (csv-parse): a header row, quoted fields, delimiters and line breaks inside
 * quotes, a BOM; line endings `\r\n`, `\n` or `\r`, mixed as a file edited on two systems has them (as
 * Python's csv module and pandas read them). A ragged row or a broken quote is a UserError at its `file:line`.
 */
export function readCsv(file: string, format: CsvFormat = DEFAULT_CSV_FORMAT): CsvTable {
  let bytes: Buffer;
  try {
    bytes = readRegularBytes(file, MAX_CSV_BYTES);
  } catch (error) {
    throw new UserError(`${file}: cannot read the CSV file: ${whyUnreadable(error, MAX_CSV_BYTES, 'a CSV file')}`);
  }
  const text = decodeText(bytes, file, format.encoding).replace(/\r\n?/g, '\n');
  const delimiter = format.delimiter ?? sniffDelimiter(text);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: false, delimiter, record_delimiter: '\n' }) as never;
  } catch (error) {
    const { lines, message, code, record } = error as { lines?: number; message: string; code?: string; record?: unknown[] };
    if (code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && headerWidth(text, delimiter) !== undefined) {
      throw new UserError(`${file}:${lines ?? '?'}: this row has ${record?.length ?? '?'} fields but the header has ${headerWidth(text, delimiter)} (quote fields that hold ${describeDelimiter(delimiter)}s)`);
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
  return { file, header, rows: rows.map((row) => row.record), lines: rows.map((row) => row.info.lines), format: { ...format, delimiter } };
}

/** The file's text in its encoding; bytes that are not UTF-8 are named at their line, with the fix. */
function decodeText(bytes: Buffer, file: string, encoding: CsvFormat['encoding']): string {
  if (encoding === 'latin1') return bytes.toString('latin1');
  if (encoding === 'utf-16') {
    const bigEndian = bytes[0] === 0xfe && bytes[1] === 0xff;
    if (!bigEndian && !(bytes[0] === 0xff && bytes[1] === 0xfe)) throw new UserError(`${file}: data.encoding utf-16 needs a byte order mark at the start of the file, and this file has none (is it utf-8 or latin1?)`);
    return new TextDecoder(bigEndian ? 'utf-16be' : 'utf-16le').decode(bytes);
  }
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end < 0 ? bytes.length : end;
    if (!isUtf8(bytes.subarray(start, stop))) break;
    start = stop + 1;
  }
  throw new UserError(`${file}:${line}: this line is not UTF-8 text (a file saved by Excel or an older system is often latin1: set data.encoding: latin1)`);
}

/** The delimiter the header row uses most among `,` `;` tab `|` (outside quotes); `,` when it has none of them. */
function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>(CSV_DELIMITERS.map((delimiter) => [delimiter, 0]));
  let quoted = false;
  for (const character of text.slice(0, Math.max(0, text.indexOf('\n')) || text.length)) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && counts.has(character)) counts.set(character, counts.get(character)! + 1);
  }
  let best = ',';
  for (const [delimiter, count] of counts) if (count > counts.get(best)!) best = delimiter;
  return best;
}

export const describeDelimiter = (delimiter: string) => ({ ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'vertical bar' })[delimiter] ?? JSON.stringify(delimiter);

/** How many fields the header row has (for the message about a ragged row). */
function headerWidth(text: string, delimiter: string): number | undefined {
  try {
    return (parse(text, { bom: true, to_line: 1, delimiter }) as string[][])[0]?.length;
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
/** The number a cell holds in the table's notation (decimal commas where the table has them), or NaN. */
export const numberOf = (table: Pick<CsvTable, 'format'>, cell: string) => {
  const text = table.format.decimal === ',' ? cell.replace(',', '.') : cell;
  return isNumberCell(text) ? Number(text) : Number.NaN;
};
const missingSets = new WeakMap<readonly string[], ReadonlySet<string>>();
/** Whether a cell is missing: empty, or one of the table's markers (`NA`, `null`, … by default). */
export const isMissingCell = (table: Pick<CsvTable, 'format'>, cell: string) => {
  let markers = missingSets.get(table.format.missing);
  if (!markers) missingSets.set(table.format.missing, (markers = new Set(table.format.missing.map((marker) => marker.trim()))));
  const trimmed = cell.trim();
  return trimmed === '' || markers.has(trimmed);
};

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
      if (isMissingCell(table, cell)) return; // kinds[index] stays EMPTY
      const number = numberOf(table, cell);
      if (Number.isNaN(number)) kinds[index] = WORD;
      else {
        if (Math.abs(number) > FLOAT32_MAX) throw outOfRange(table, index, column);
        kinds[index] = NUMBER_CELL;
        numbers[index] = number;
      }
    });
    columns.set(column, (cells = { kinds, numbers }));
  }
  return cells;
}

/** A number beyond what training computes in (32-bit floats): an error at its line, never a silent infinity. */
export function outOfRange(table: CsvTable, row: number, column: number): UserError {
  return new UserError(`${table.file}:${table.lines[row]}: column "${table.header[column]}" holds ${table.rows[row][column].trim()}, beyond the ±3.4e38 that training computes in (32-bit floats): rescale the column (say, to thousands or millions) or mark the cell missing`);
}

/** How many of a column's cells are missing (empty or a marker), for `validate`. */
export function missingCellCount(table: CsvTable, column: number): number {
  return columnCells(table, column).kinds.reduce((count, kind) => count + (kind === EMPTY ? 1 : 0), 0);
}

/**
 * A column's type and statistics from the training rows (Ludwig's type inference, simply): numbers when every
 * non-empty cell is one; a column of numbers with a few words in it (at most 10 % of its cells) is a mistake,
 * reported at the first word's line; otherwise categories.
 */
export function inferColumn(table: CsvTable, column: number, rows: readonly number[], declared?: 'number' | 'category', imputation: Imputation = DEFAULT_IMPUTATION): TableColumn {
  const inferred = inferColumnType(table, column, rows, declared);
  const { kinds, numbers } = columnCells(table, column);
  const missing = rows.some((row) => kinds[row] === EMPTY);
  const indicator = imputation.indicator && missing ? { indicator: true } : {};
  if (inferred.type === 'number') {
    const fill = imputation.numbers === 'median' ? { fill: median(rows.filter((row) => kinds[row] === NUMBER_CELL).map((row) => numbers[row])) } : {};
    return { ...inferred, ...fill, ...indicator };
  }
  const fill = imputation.categories === 'mostFrequent' ? { fill: mostFrequent(rows.filter((row) => kinds[row] !== EMPTY).map((row) => table.rows[row][column].trim()), inferred.categories) } : {};
  return { ...inferred, ...fill, ...indicator };
}

export const DEFAULT_IMPUTATION: Imputation = { numbers: 'mean', categories: 'missing', indicator: false };

/** The median (the mean of the middle two of an even count), as numpy's. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The most frequent value; ties go to the first in `order` (scikit-learn: the smallest). */
function mostFrequent(values: readonly string[], order: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return order.reduce((best, value) => ((counts.get(value) ?? 0) > (counts.get(best) ?? 0) ? value : best), order[0]);
}

function inferColumnType(table: CsvTable, column: number, rows: readonly number[], declared?: 'number' | 'category'): TableColumn {
  const name = table.header[column];
  const { kinds, numbers } = columnCells(table, column);
  if (declared === 'number') {
    const row = rows.find((r) => kinds[r] === WORD);
    if (row !== undefined) throw new UserError(`${table.file}:${table.lines[row]}: data.columns says "${name}" is a number, but this row has ${JSON.stringify(table.rows[row][column])} (fix the cell, add it to data.missing, or declare the column a category)`);
  }
  let filled = 0;
  let numeric = 0;
  for (const row of rows) {
    if (kinds[row] === EMPTY) continue;
    filled++;
    if (kinds[row] === NUMBER_CELL) numeric++;
  }
  if (declared !== 'category' && filled > 0 && numeric === filled) {
    return { name, type: 'number', ...meanAndStd(rows.filter((row) => kinds[row] === NUMBER_CELL).map((row) => numbers[row])) };
  }
  if (declared !== 'category' && numeric > 0 && numeric >= 0.9 * filled) {
    const row = rows.find((r) => kinds[r] === WORD)!;
    throw new UserError(`${table.file}:${table.lines[row]}: column "${name}" holds numbers except here: ${JSON.stringify(table.rows[row][column])} (fix the cell, or if it means "missing" add it to data.missing: it is then filled with the column's mean)`);
  }
  const categories = [...new Set(rows.filter((row) => kinds[row] !== EMPTY).map((row) => table.rows[row][column].trim()))];
  // Integer codes (a ZIP code, a district number) in numeric order, words alphabetically.
  if (numeric === filled) categories.sort((a, b) => Number(a) - Number(b));
  else categories.sort();
  if (categories.length > MAX_CATEGORIES) {
    throw new UserError(`${table.file}:1: column "${name}" has ${categories.length} different words, more than the ${MAX_CATEGORIES} categories a column may have (one input each): is it an identifier or free text? List the columns to read in data.features`);
  }
  return { name, type: 'category', categories };
}

/** The most categories one column may be one-hot encoded into (an identifier column would make an input per row). */
export const MAX_CATEGORIES = 1000;

/** How many inputs the model has for these columns: one per number, one per category. */
export function encodedWidth(columns: readonly TableColumn[]): number {
  return columns.reduce((sum, column) => sum + (column.type === 'number' ? 1 : column.categories.length) + (column.indicator ? 1 : 0), 0);
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
      const filler = ((column.fill ?? column.mean) - column.mean) / column.std;
      rows.forEach((row, r) => {
        if (kinds[row] === EMPTY) {
          filled++;
          inputs[r * width + offset] = filler;
        } else if (kinds[row] === WORD) throw new UserError(`${table.file}:${table.lines[row]}: column "${column.name}" holds numbers, but this row has ${JSON.stringify(table.rows[row][index])}`);
        else inputs[r * width + offset] = (numbers[row] - column.mean) / column.std;
      });
      offset += 1;
    } else {
      const categoryOf = new Map(column.categories.map((category, k) => [category, k]));
      const filler = column.fill === undefined ? undefined : categoryOf.get(column.fill);
      rows.forEach((row, r) => {
        if (kinds[row] === EMPTY) {
          if (filler !== undefined) inputs[r * width + offset + filler] = 1;
          return;
        }
        const category = categoryOf.get(table.rows[row][index].trim());
        if (category === undefined) unseen++;
        else inputs[r * width + offset + category] = 1;
      });
      offset += column.categories.length;
    }
    if (column.indicator) {
      rows.forEach((row, r) => (inputs[r * width + offset] = kinds[row] === EMPTY ? 1 : 0));
      offset += 1;
    }
  }
  return { inputs, filled, unseen };
}

/** How a run's table was written, read back (untrusted); a run from before formats were saved read plain CSV. */
function parseTableFormat(value: unknown, bad: (what: string) => Error): CsvFormat {
  if (value === undefined) return DEFAULT_CSV_FORMAT;
  const { missing, delimiter, decimal, encoding } = (value ?? {}) as Record<string, unknown>;
  const isMarkerList = Array.isArray(missing) && missing.length <= 1000 && missing.every((marker) => typeof marker === 'string' && marker.length <= 200);
  if (!isMarkerList || !(CSV_DELIMITERS as readonly unknown[]).includes(delimiter) || (decimal !== '.' && decimal !== ',') || !(CSV_ENCODINGS as readonly unknown[]).includes(encoding)) {
    throw bad('its format (missing markers, delimiter, decimal mark, encoding) is not one specml writes');
  }
  return { missing: missing as string[], delimiter: delimiter as string, decimal, encoding: encoding as CsvFormat['encoding'] };
}

/** A table encoding read back from a run folder (untrusted): checked field by field, else a UserError naming the file. */
export function parseTableEncoding(value: unknown, file: string): TableEncoding {
  const bad = (what: string) => new UserError(`${file}: ${what}; the run folder is damaged (train the run again)`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const { target, features, format } = value as Record<string, unknown>;
  if (typeof target !== 'string' || !Array.isArray(features) || features.length === 0 || features.length > 100_000) throw bad('expected a target name and a list of feature columns');
  return {
    target,
    format: parseTableFormat(format, bad),
    features: features.map((column: unknown, index): TableColumn => {
      const { name, type, mean, std, categories, fill, indicator } = (column ?? {}) as Record<string, unknown>;
      if (typeof name !== 'string') throw bad(`feature ${index} has no name`);
      const withIndicator = indicator === true ? { indicator: true } : {};
      if (type === 'number' && Number.isFinite(mean) && Number.isFinite(std) && (std as number) > 0 && (fill === undefined || Number.isFinite(fill))) {
        return { name, type, mean: mean as number, std: std as number, ...(fill === undefined ? {} : { fill: fill as number }), ...withIndicator };
      }
      if (type === 'category' && Array.isArray(categories) && categories.every((category) => typeof category === 'string') && (fill === undefined || (typeof fill === 'string' && categories.includes(fill)))) {
        return { name, type, categories: categories as string[], ...(fill === undefined ? {} : { fill: fill as string }), ...withIndicator };
      }
      throw bad(`feature "${name}" is neither a number column (mean, std) nor a category column (categories)`);
    }),
  };
}
