import type { TableFormat } from './dataset.js';
import { UserError } from './errors.js';
import { FLOAT32_MAX } from './statistics.js';

export type CsvFormat = TableFormat;

/** A CSV file's header and rows, each row with the line it starts on (for messages), and how it was written. */
export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly string[][];
  readonly lines: readonly number[];
  readonly format: CsvFormat & { readonly delimiter: string };
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
export interface ColumnCells {
  readonly kinds: Uint8Array;
  readonly numbers: Float64Array;
}
export const EMPTY = 0;
export const NUMBER_CELL = 1;
export const WORD = 2;
const cellsByTable = new WeakMap<CsvTable, Map<number, ColumnCells>>();

/** A column's cells classified once per table (type inference and encoding both need them; tables have millions). */
export function columnCells(table: CsvTable, column: number): ColumnCells {
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

