import { isUtf8 } from 'node:buffer';
import { totalmem } from 'node:os';
import { parse } from 'csv-parse/sync';
import type { Imputation, TableColumn, TableEncoding } from './dataset.js';
import { isUserError, UserError } from './errors.js';
import { nearestName } from './near-names.js';
import { isPlainObject } from './plain-object.js';
import { readRegularBytes, whyUnreadable } from './safe-files.js';
import { COLUMN_TYPES, kindOf, type ColumnType } from './columns/index.js';
import type { ColumnData } from './columns/kind.js';
import { FIRST_TOKEN_ID, isSequenceText } from './columns/text.js';
import { columnCells, EMPTY, NUMBER_CELL, TableBuilder, WORD, type CsvFormat, type CsvTable } from './table-cells.js';
import { wordCount } from './text/tokenize.js';

export { isNumberCell, numberOf, isMissingCell, outOfRange, missingCellCount, rowIndices, type CsvFormat, type CsvTable } from './table-cells.js';

/** Larger CSV files are refused before reading (their bytes are held while they are parsed). */
export const MAX_CSV_BYTES = 512 * 2 ** 20;

/** The cell texts that mean "missing" unless `data.missing` says otherwise: pandas' `na_values` (what R, Excel and databases write). */
export const DEFAULT_MISSING_MARKERS: readonly string[] = ['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null'];
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
export const CSV_ENCODINGS = ['utf-8', 'latin1', 'utf-16'] as const;

export const DEFAULT_CSV_FORMAT: CsvFormat = { missing: DEFAULT_MISSING_MARKERS, decimal: '.', encoding: 'utf-8' };

/**
 * Reads a CSV file by RFC 4180 (csv-parse): a header row, quoted fields, delimiters and line breaks inside
 * quotes, a BOM; line endings `\r\n`, `\n` or `\r`, mixed as a file edited on two systems has them (as
 * Python's csv module and pandas read them). A ragged row or a broken quote is a UserError at its `file:line`.
 */
export function readCsv(file: string, format: CsvFormat = DEFAULT_CSV_FORMAT, progress?: ReadingProgress): CsvTable {
  const started = performance.now();
  let bytes: Buffer;
  try {
    bytes = readRegularBytes(file, MAX_CSV_BYTES);
  } catch (error) {
    throw new UserError(`${file}: cannot read the CSV file: ${whyUnreadable(error, MAX_CSV_BYTES, 'a CSV file')}`);
  }
  checkReadingFits(file, bytes.length, machineMemory());
  const input = csvInput(bytes, file, format.encoding);
  const delimiter = format.delimiter ?? sniffDelimiter(input);
  let builder: TableBuilder | undefined;
  // Each record goes into the table's columns as it is parsed, and is not kept (on_record returns null).
  const onRecord = (record: string[], { lines, bytes: done }: { lines: number; bytes: number }) => {
    if (!builder) builder = new TableBuilder(file, checkedHeader(record, file), { ...format, delimiter });
    else {
      builder.add(record, lines);
      if (builder.rowCount === ROWS_TO_ESTIMATE_FROM) builder.reserve(Math.ceil(1.05 * ROWS_TO_ESTIMATE_FROM * (input.length / done)));
      if (progress && builder.rowCount % progressRows(builder.columnCount) === 0) progress({ file, bytes: Math.min(done, input.length), totalBytes: input.length, rows: builder.rowCount, seconds: (performance.now() - started) / 1000 });
    }
    return null;
  };
  try {
    parse(input, { bom: true, skip_empty_lines: true, trim: false, delimiter, record_delimiter: '\n', on_record: onRecord });
  } catch (error) {
    if (isUserError(error)) throw error;
    const { lines, message, code, record } = error as { lines?: number; message: string; code?: string; record?: unknown[] };
    if (code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && headerWidth(input, delimiter) !== undefined) {
      throw new UserError(`${file}:${lines ?? '?'}: this row has ${record?.length ?? '?'} fields but the header has ${headerWidth(input, delimiter)} (quote fields that hold ${describeDelimiter(delimiter)}s)`);
    }
    const reason = message.replace(/ (on|at) line \d+$/, '');
    throw new UserError(`${file}:${lines ?? '?'}: not valid CSV: ${reason}`);
  }
  if (!builder) throw new UserError(`${file}: the file is empty (a CSV table needs a header row and rows)`);
  const table = builder.done();
  progress?.({ file, bytes: input.length, totalBytes: input.length, rows: table.rowCount, seconds: (performance.now() - started) / 1000 });
  return table;
}

/** How far reading a CSV file has come; told every PROGRESS_CELLS cells' worth of rows and once at the end. */
export type ReadingProgress = (state: { readonly file: string; readonly bytes: number; readonly totalBytes: number; readonly rows: number; readonly seconds: number }) => void;
export const PROGRESS_CELLS = 2 ** 18;
/** How many rows of `columns` cells make a step of progress. */
export const progressRows = (columns: number) => Math.max(1, Math.floor(PROGRESS_CELLS / columns));
/** After this many rows, the table's size is estimated from their bytes. */
const ROWS_TO_ESTIMATE_FROM = 4096;

/**
 * Reading a table peaks at about this many bytes of memory per byte of its file, with room to spare
 * (measured: 4.3 on a 100 MB table of numbers, where the file's bytes and each cell's string while it is
 * parsed come on top of the columns kept; text columns keep their words).
 */
export const READING_MEMORY_PER_FILE_BYTE = 8;

/** The memory this process may use: the machine's, or less where a container limits it. */
function machineMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < totalmem() ? limit : totalmem();
}

/** Refuses, before parsing, a table that would take more memory to read than the machine has. */
export function checkReadingFits(file: string, fileBytes: number, memoryBytes: number): void {
  const needed = fileBytes * READING_MEMORY_PER_FILE_BYTE;
  if (needed <= 0.8 * memoryBytes) return;
  const size = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`);
  throw new UserError(`${file}: reading this ${size(fileBytes)} table takes about ${size(needed)} of memory (some ${READING_MEMORY_PER_FILE_BYTE}× the file while its cells are parsed), more than the ${size(memoryBytes)} this machine has: use a file of fewer rows or columns, or a machine with more memory`);
}

/** The header row's names, trimmed: each named, none twice. */
function checkedHeader(record: readonly string[], file: string): string[] {
  const header = record.map((name) => name.trim());
  header.forEach((name, index) => {
    if (name === '') throw new UserError(`${file}:1: column ${index + 1} has no name (the first row must name every column)`);
    if (header.indexOf(name) !== index) throw new UserError(`${file}:1: the column name "${name}" appears twice`);
  });
  return header;
}

/**
 * What the parser reads: the file's own bytes when they are UTF-8 with `\n` endings (no copy of a large
 * file), else its text decoded and its line endings made `\n`.
 */
function csvInput(bytes: Buffer, file: string, encoding: CsvFormat['encoding']): Buffer {
  if (encoding === 'utf-8' && !bytes.includes(0x0d) && isUtf8(bytes)) return bytes;
  return Buffer.from(decodeText(bytes, file, encoding).replace(/\r\n?/g, '\n'));
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
function sniffDelimiter(input: Buffer): string {
  const counts = new Map<string, number>(CSV_DELIMITERS.map((delimiter) => [delimiter, 0]));
  let quoted = false;
  const firstLine = input.indexOf(0x0a);
  for (const character of input.toString('utf8', 0, firstLine < 0 ? input.length : firstLine)) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && counts.has(character)) counts.set(character, counts.get(character)! + 1);
  }
  let best = ',';
  for (const [delimiter, count] of counts) if (count > counts.get(best)!) best = delimiter;
  return best;
}

export const describeDelimiter = (delimiter: string) => ({ ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'vertical bar' })[delimiter] ?? JSON.stringify(delimiter);

/** How many fields the header row has (for the message about a ragged row). */
function headerWidth(input: Buffer, delimiter: string): number | undefined {
  try {
    return (parse(input, { bom: true, to_line: 1, delimiter }) as string[][])[0]?.length;
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

/** A column of a table as the column kinds read it: its place, name and cells (classified once per table). */
const columnData = (table: CsvTable, index: number): ColumnData => ({ table, index, name: table.header[index], cells: columnCells(table, index) });

/** What `data.columns` says a column is: a kind, with the settings that kind takes. */
export interface DeclaredColumn {
  readonly type: ColumnType;
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * A column's kind and encoder from the training rows (Ludwig's type inference, simply), unless `declared`
 * says: numbers when every filled cell is one; a column of numbers with a few words in it (at most 10 % of
 * its cells) is a mistake, reported at the first word's line; text when its cells are sentences (most have
 * several words, and few repeat); otherwise categories.
 */
export function inferColumn(table: CsvTable, column: number, rows: readonly number[], declared?: DeclaredColumn, imputation: Imputation = DEFAULT_IMPUTATION): TableColumn {
  const data = columnData(table, column);
  const type = declared?.type ?? inferredType(table, column, rows);
  const fitted = kindOf(type).fit(data, rows, { imputation, settings: declared?.settings ?? {}, declared: declared !== undefined });
  // A text read as a sequence has no indicator (its ids must start the row): its missing cells are empty texts, all padding.
  const indicates = imputation.indicator && !isSequenceText(fitted) && rows.some((row) => data.cells.kinds[row] === EMPTY);
  return indicates ? { ...fitted, indicator: true } : fitted;
}

/** What a table's missing number cells are filled with: the training rows' median where data.impute.numbers said so (a column then keeps its `fill`), else their mean. */
export function numberFill(encoding: TableEncoding): 'mean' | 'median' {
  return encoding.features.some((column) => column.type === 'number' && column.fill !== undefined) ? 'median' : 'mean';
}

/** Rows given as cells rather than a file (a text typed on serve's page): a table as a file's would be, named `source` in messages. */
export function tableOfRows(source: string, header: readonly string[], rows: readonly (readonly string[])[], format: CsvFormat = DEFAULT_CSV_FORMAT): CsvTable {
  const builder = new TableBuilder(source, header, { ...format, delimiter: format.delimiter ?? ',' });
  rows.forEach((row, index) => builder.add(row, index + 2));
  return builder.done();
}

/**
 * The model's input for a table: its encoded width; for a text read as a sequence (the row's first columns,
 * sequenceFirst), also how many token ids there are and how many encoded columns follow the ids (they join
 * the text's vector at the model's first dense layer).
 */
export function tableInputOf(encoding: TableEncoding): { inputShape: number[]; vocabularySize?: number; sideFeatures?: number } {
  const width = encodedWidth(encoding.features);
  const sequence = encoding.features.find(isSequenceText);
  if (!sequence) return { inputShape: [width] };
  const side = width - sequence.maxLength;
  return { inputShape: [width], vocabularySize: sequence.vocabulary.length + FIRST_TOKEN_ID, ...(side > 0 ? { sideFeatures: side } : {}) };
}

/**
 * The input columns with a text read as a sequence first: its token ids start every encoded row, where the
 * embedding reads them; the other columns' encoding follows. One such text at most (an embedding reads one):
 * else a located refusal.
 */
export function sequenceFirst(features: readonly TableColumn[], file: string): TableColumn[] {
  const sequences = features.filter(isSequenceText);
  if (sequences.length > 1) {
    throw new UserError(
      `${file}:1: data.columns ${sequences.map((column) => column.name).join(' and ')} are both read as sequences (encoding: sequence), but a model has one embedding, which reads one text: read all but one as a bag of words (data.columns.${sequences[1].name}: { type: text, encoding: bag })`,
    );
  }
  return [...sequences, ...features.filter((column) => !isSequenceText(column))];
}

export const DEFAULT_IMPUTATION: Imputation = { numbers: 'mean', categories: 'missing', indicator: false };

/** The kind a column's training cells suggest. */
export function inferredType(table: CsvTable, column: number, rows: readonly number[]): ColumnType {
  const { kinds } = columnCells(table, column);
  const filled = rows.filter((row) => kinds[row] !== EMPTY);
  const numeric = filled.filter((row) => kinds[row] === NUMBER_CELL).length;
  if (filled.length > 0 && numeric === filled.length) return 'number';
  if (numeric > 0 && numeric >= 0.9 * filled.length) {
    const row = rows.find((r) => kinds[r] === WORD)!;
    throw new UserError(`${table.file}:${table.lines[row]}: column "${table.header[column]}" holds numbers except here: ${JSON.stringify(table.cell(row, column))} (fix the cell, or if it means "missing" add it to data.missing: it is then filled with the column's mean)`);
  }
  return looksLikeText(filled.map((row) => table.cell(row, column))) ? 'text' : 'category';
}

/**
 * Whether cells are free text rather than labels: most have at least three words and at least half of them
 * differ (a category repeats; "Blue collar" is two words, a review dozens).
 */
export function looksLikeText(cells: readonly string[]): boolean {
  if (cells.length === 0) return false;
  const sentences = cells.filter((cell) => wordCount(cell) >= 3).length;
  return sentences > cells.length / 2 && new Set(cells).size >= cells.length / 2;
}

/** How many inputs the model has for these columns: each kind's width, plus one per missing-value indicator. */
export function encodedWidth(columns: readonly TableColumn[]): number {
  return columns.reduce((sum, column) => sum + kindOf(column.type).width(column) + (column.indicator ? 1 : 0), 0);
}

/**
 * The rows as the model's input vectors, each column written by its kind (numbers standardised, categories
 * one-hot, text as a bag of words), then its missing-value indicator. Counts what it filled, for warnings.
 */
export function encodeRows(table: CsvTable, rows: readonly number[], encoding: TableEncoding): { inputs: Float32Array; filled: number; unseen: number } {
  const width = encodedWidth(encoding.features);
  if (rows.length * width * 4 > MAX_ENCODED_BYTES) throw tooWide(table, rows.length, width, encoding);
  const inputs = new Float32Array(rows.length * width);
  const counts = { filled: 0, unseen: 0 };
  let offset = 0;
  for (const column of encoding.features) {
    const index = columnIndex(table, column.name, 'the model\'s input');
    const data = columnData(table, index);
    const kind = kindOf(column.type);
    kind.encode(column, data, rows, { inputs, width, offset, counts });
    offset += kind.width(column);
    if (column.indicator) {
      rows.forEach((row, r) => (inputs[r * width + offset] = data.cells.kinds[row] === EMPTY ? 1 : 0));
      offset += 1;
    }
  }
  return { inputs, ...counts };
}

/** The most memory a table's encoded rows may take (float32 inputs): beyond it, a located refusal rather than an exhausted machine. */
export const MAX_ENCODED_BYTES = 2 * 2 ** 30;

/** Why rows × inputs do not fit, naming the widest column and how to narrow it. */
function tooWide(table: CsvTable, rows: number, width: number, encoding: TableEncoding): UserError {
  const widths = encoding.features.map((column) => kindOf(column.type).width(column));
  const widest = encoding.features[widths.indexOf(Math.max(...widths))];
  const fix = widest.type === 'text' ? `lower data.columns.${widest.name}.maxTokens (it has ${widest.vocabulary.length} tokens)` : `column "${widest.name}" alone has ${Math.max(...widths)} inputs`;
  return new UserError(`${table.file}: ${rows} rows × ${width} inputs would take ${((rows * width * 4) / 2 ** 30).toFixed(1)} GiB as float32, more than the ${MAX_ENCODED_BYTES / 2 ** 30} GiB specml holds: ${fix}, or use a file of fewer rows`);
}

/** What validate says about each input column, its kind's description with the test rows (a vocabulary's coverage). */
export function describeColumns(encoding: TableEncoding, train: CsvTable, trainRows: readonly number[], test: CsvTable, testRows: readonly number[]): string[] {
  return encoding.features.map((column) => {
    const data = (table: CsvTable) => columnData(table, table.header.indexOf(column.name));
    return kindOf(column.type).describe(column, data(train), trainRows, data(test), testRows);
  });
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
  const { target, features, format, distinctValues } = value as Record<string, unknown>;
  if (typeof target !== 'string' || !Array.isArray(features) || features.length === 0 || features.length > 100_000) throw bad('expected a target name and a list of feature columns');
  const counts = isPlainObject(distinctValues) && Object.values(distinctValues).every((count) => Number.isInteger(count) && (count as number) >= 0) ? { distinctValues: distinctValues as Record<string, number> } : {};
  const parsed = features.map((column: unknown, index): TableColumn => {
    const fields = (column ?? {}) as Record<string, unknown>;
    const { name, type, indicator } = fields;
    if (typeof name !== 'string') throw bad(`feature ${index} has no name`);
    const read = (COLUMN_TYPES as unknown[]).includes(type) ? kindOf(type as ColumnType).read(fields, name) : undefined;
    if (read === undefined) throw bad(`feature "${name}" is not a ${COLUMN_TYPES.join(', ')} column as specml writes them`);
    return indicator === true ? { ...read, indicator: true } : read;
  });
  if (parsed.slice(1).some(isSequenceText)) throw bad('a text read as a sequence is not the first feature (its token ids start every row)');
  return { target, ...counts, format: parseTableFormat(format, bad), features: parsed };
}
