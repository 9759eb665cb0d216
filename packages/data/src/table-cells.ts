import type { TableFormat } from './dataset.js';
import { UserError } from './errors.js';
import { FLOAT32_MAX } from './statistics.js';

export type CsvFormat = TableFormat;

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

/** What a column's cells hold: each cell's kind and, for a number, its value. */
export interface ColumnCells {
  readonly kinds: Uint8Array;
  readonly numbers: Float64Array;
}
export const EMPTY = 0;
export const NUMBER_CELL = 1;
export const WORD = 2;

/**
 * One column as it is kept: each cell's kind, the numbers as float64, the zeros a fixed-decimal cell adds
 * to its number (12.50, 3.000) and, only where a cell is none of these (a word, a marker, 1e5), its text. A
 * column of numbers costs 9–10 bytes a cell, not a string each (a table of millions of cells would
 * otherwise take some 30× its file).
 */
interface StoredColumn {
  readonly kinds: Uint8Array;
  readonly numbers: Float64Array;
  readonly zeros: Uint8Array | undefined;
  readonly texts: CellTexts | undefined;
}

/**
 * A column's cell texts by row, as rows arrive in order: a map while few cells have one (the `NA` cells of
 * a number column), an array once many do (a column of words).
 */
class CellTexts {
  private sparse: Map<number, string> | undefined = new Map();
  private dense: (string | undefined)[] | undefined;

  get(row: number): string | undefined {
    return this.dense ? this.dense[row] : this.sparse!.get(row);
  }

  set(row: number, text: string): void {
    if (this.dense) {
      while (this.dense.length < row) this.dense.push(undefined);
      this.dense.push(text);
      return;
    }
    const sparse = this.sparse!;
    sparse.set(row, text);
    // A map entry costs some six array slots: past one text in six rows, an array is smaller.
    if (sparse.size > 1024 && sparse.size * 6 > row) {
      this.dense = Array.from({ length: row + 1 }, (_, r) => sparse.get(r));
      this.sparse = undefined;
    }
  }

  /** The texts of these rows, renumbered in this order. */
  select(rows: readonly number[]): CellTexts {
    const selected = new CellTexts();
    rows.forEach((row, index) => {
      const text = this.get(row);
      if (text !== undefined) selected.set(index, text);
    });
    return selected;
  }
}

/** How a number cell reads when written plainly in the table's notation. */
const plainText = (value: number, decimal: string) => (decimal === ',' ? String(value).replace('.', ',') : String(value));

// A decimal of at most 15 significant digits without leading or trailing zeros is what its float64 prints as
// (15 digits always survive the round trip), so most cells are known to be plain without printing the number.
const SHORT_DECIMAL = { '.': /^-?(?:[1-9]\d*|0)(?:\.\d*[1-9])?$/, ',': /^-?(?:[1-9]\d*|0)(?:,\d*[1-9])?$/ };
/**
 * How many characters a fixed-decimal cell (12.50, 3.000, 7.) writes after its number's plain text (`plain`),
 * all zeros but a decimal mark the plain text lacks; 0 where the cell is not that (then its text is kept).
 */
function appendedZeros(cell: string, plain: string, decimal: '.' | ','): number {
  const appended = cell.length - plain.length;
  if (appended <= 0 || appended > 255 || !cell.startsWith(plain) || plain.includes('e')) return 0;
  let at = plain.length;
  if (!plain.includes(decimal) && cell[at++] !== decimal) return 0;
  for (; at < cell.length; at++) if (cell[at] !== '0') return 0;
  return appended;
}

/** A number's plain text with `appended` characters of a fixed-decimal cell after it (appendedZeros). */
function withZeros(plain: string, appended: number, decimal: '.' | ','): string {
  if (appended === 0) return plain;
  return plain.includes(decimal) ? plain + '0'.repeat(appended) : plain + decimal + '0'.repeat(appended - 1);
}

/** Whether a number cell is exactly how its value prints (then its text need not be kept). */
function isPlainNumber(cell: string, value: number, decimal: '.' | ','): boolean {
  const digits = cell.length - (cell.startsWith('-') ? 1 : 0) - (cell.includes(decimal) ? 1 : 0);
  // Below 1e-6 JavaScript prints an exponent (0.0000001 is "1e-7").
  if (digits <= 15 && !cell.includes(`0${decimal}000000`) && SHORT_DECIMAL[decimal].test(cell)) return cell !== '-0';
  return plainText(value, decimal) === cell;
}

/**
 * A CSV file's header and rows, kept column by column; each row with the line it starts on (for messages),
 * and how the file was written. Read a cell with `cell(row, column)`, a column's kinds and numbers with
 * `columnCells`.
 */
export class CsvTable {
  constructor(
    readonly file: string,
    readonly header: readonly string[],
    readonly format: CsvFormat & { readonly delimiter: string },
    private readonly columns: readonly StoredColumn[],
    /** The line each row starts on. */
    readonly lines: Int32Array,
  ) {}

  get rowCount(): number {
    return this.lines.length;
  }

  /** A cell as the file has it. */
  cell(row: number, column: number): string {
    const stored = this.columns[column];
    const text = stored.texts?.get(row);
    if (text !== undefined) return text;
    if (stored.kinds[row] !== NUMBER_CELL) return '';
    const { decimal } = this.format;
    return withZeros(plainText(stored.numbers[row], decimal), stored.zeros?.[row] ?? 0, decimal);
  }

  /** The column's kinds and numbers, its numbers checked against float32's range on first use (an unused column may hold anything). */
  cells(column: number): ColumnCells {
    const stored = this.columns[column];
    if (!checkedColumns.has(stored)) {
      const { kinds, numbers } = stored;
      for (let row = 0; row < kinds.length; row++) if (kinds[row] === NUMBER_CELL && Math.abs(numbers[row]) > FLOAT32_MAX) throw outOfRange(this, row, column);
      checkedColumns.add(stored);
    }
    return stored;
  }

  /** These rows, in this order, as a table of their own. */
  select(rows: readonly number[]): CsvTable {
    const columns = this.columns.map(({ kinds, numbers, zeros, texts }) => ({
      kinds: Uint8Array.from(rows, (row) => kinds[row]),
      numbers: numbers.length === 0 ? numbers : Float64Array.from(rows, (row) => numbers[row]),
      zeros: zeros && Uint8Array.from(rows, (row) => zeros[row]),
      texts: texts?.select(rows),
    }));
    return new CsvTable(this.file, this.header, this.format, columns, Int32Array.from(rows, (row) => this.lines[row]));
  }
}
const checkedColumns = new WeakSet<StoredColumn>();

/** A typed array that grows as cells arrive (a file's rows are known only once it is read, and estimated before). */
class Growing<T extends Uint8Array | Float64Array | Int32Array> {
  private array: T;
  length = 0;
  constructor(private readonly make: (size: number) => T) {
    this.array = make(1024);
  }
  push(value: number): void {
    if (this.length === this.array.length) this.reserve(this.array.length * 2);
    this.array[this.length++] = value;
  }
  /** Room for `size` values in all (each doubling leaves a copy behind until the garbage collector runs). */
  reserve(size: number): void {
    if (size <= this.array.length) return;
    const larger = this.make(size);
    larger.set(this.array.subarray(0, this.length));
    this.array = larger;
  }
  /** The values; a copy of their exact size unless the array is nearly full. */
  done(): T {
    return (this.length >= 0.9 * this.array.length ? this.array.subarray(0, this.length) : this.array.slice(0, this.length)) as T;
  }
}

/** Categories repeat: each column keeps one copy of a repeated cell's text, up to this many different ones (free text does not repeat). */
const MAX_SHARED_TEXTS = 4096;

/** Builds one column from its cells, classifying each once as it arrives. */
class ColumnBuilder {
  private readonly kinds = new Growing((size) => new Uint8Array(size));
  private numbers: Growing<Float64Array> | undefined;
  private zeros: Growing<Uint8Array> | undefined;
  private texts: CellTexts | undefined;
  private readonly shared = new Map<string, string>();

  constructor(readonly format: CsvFormat & { readonly delimiter: string }) {}

  add(cell: string): void {
    const row = this.kinds.length;
    if (isMissingCell(this, cell)) {
      this.kinds.push(EMPTY);
      if (cell !== '') this.keepText(row, cell);
      return;
    }
    const value = numberOf(this, cell);
    if (Number.isNaN(value)) {
      this.kinds.push(WORD);
      this.keepText(row, cell);
      return;
    }
    this.kinds.push(NUMBER_CELL);
    this.numbers ??= new Growing((size) => new Float64Array(size).fill(Number.NaN));
    while (this.numbers.length < row) this.numbers.push(Number.NaN);
    this.numbers.push(value);
    const { decimal } = this.format;
    if (isPlainNumber(cell, value, decimal)) return;
    const appended = appendedZeros(cell, plainText(value, decimal), decimal);
    if (appended === 0) return this.keepText(row, cell);
    this.zeros ??= new Growing((size) => new Uint8Array(size));
    while (this.zeros.length < row) this.zeros.push(0);
    this.zeros.push(appended);
  }

  /** Room for `rows` cells (numbers only once the column has one). */
  reserve(rows: number): void {
    this.kinds.reserve(rows);
    this.numbers?.reserve(rows);
    this.zeros?.reserve(rows);
  }

  private keepText(row: number, cell: string): void {
    (this.texts ??= new CellTexts()).set(row, this.shareable(cell));
  }

  private shareable(cell: string): string {
    const known = this.shared.get(cell);
    if (known !== undefined) return known;
    if (this.shared.size < MAX_SHARED_TEXTS) this.shared.set(cell, cell);
    return cell;
  }

  done(): StoredColumn {
    const rows = this.kinds.length;
    if (this.numbers) while (this.numbers.length < rows) this.numbers.push(Number.NaN);
    if (this.zeros) while (this.zeros.length < rows) this.zeros.push(0);
    return { kinds: this.kinds.done(), numbers: this.numbers?.done() ?? new Float64Array(0), zeros: this.zeros?.done(), texts: this.texts };
  }
}

/** Builds a table row by row, as the CSV parser hands rows over (none is kept as an array of strings). */
export class TableBuilder {
  private readonly columns: ColumnBuilder[];
  private readonly lines = new Growing((size) => new Int32Array(size));

  constructor(
    private readonly file: string,
    private readonly header: readonly string[],
    private readonly format: CsvFormat & { readonly delimiter: string },
  ) {
    this.columns = header.map(() => new ColumnBuilder(format));
  }

  get rowCount(): number {
    return this.lines.length;
  }

  get columnCount(): number {
    return this.columns.length;
  }

  /** Room for about `rows` rows, estimated from the first ones' bytes, so that large columns are not copied as they double. */
  reserve(rows: number): void {
    this.lines.reserve(rows);
    for (const column of this.columns) column.reserve(rows);
  }

  add(record: readonly string[], line: number): void {
    for (let column = 0; column < this.columns.length; column++) this.columns[column].add(record[column]);
    this.lines.push(line);
  }

  done(): CsvTable {
    return new CsvTable(this.file, this.header, this.format, this.columns.map((column) => column.done()), this.lines.done());
  }
}

/** A column's cells classified (type inference and encoding both need them; tables have millions). */
export function columnCells(table: CsvTable, column: number): ColumnCells {
  return table.cells(column);
}

/** A number beyond what training computes in (32-bit floats): an error at its line, never a silent infinity. */
export function outOfRange(table: CsvTable, row: number, column: number): UserError {
  return new UserError(`${table.file}:${table.lines[row]}: column "${table.header[column]}" holds ${table.cell(row, column).trim()}, beyond the ±3.4e38 that training computes in (32-bit floats): rescale the column (say, to thousands or millions) or mark the cell missing`);
}

/** How many of a column's cells are missing (empty or a marker), for `validate`. */
export function missingCellCount(table: CsvTable, column: number): number {
  return columnCells(table, column).kinds.reduce((count, kind) => count + (kind === EMPTY ? 1 : 0), 0);
}

/** Every row's index, 0 to rowCount − 1. */
export const rowIndices = (table: CsvTable): number[] => Array.from({ length: table.rowCount }, (_, row) => row);
