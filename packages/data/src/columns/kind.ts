import type { Imputation, TableColumn } from '../dataset.js';
import type { ColumnCells, CsvTable } from '../table-cells.js';

/** One column of a table file, its cells read once. */
export interface ColumnData {
  readonly table: CsvTable;
  /** The column's position in the file's header. */
  readonly index: number;
  readonly name: string;
  readonly cells: ColumnCells;
}

/** What a kind is fitted with: how missing cells are filled, and the settings `data.columns` gives it (validated by its schema). */
export interface FitOptions {
  readonly imputation: Imputation;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Whether `data.columns` names the kind (a declared kind insists; an inferred one may refuse with a hint). */
  readonly declared: boolean;
}

/** Where a column writes its inputs: rows of `width` values, its own from `offset`; what it filled or did not know is counted. */
export interface EncodeTarget {
  readonly inputs: Float32Array;
  readonly width: number;
  readonly offset: number;
  readonly counts: { filled: number; unseen: number };
}

/**
 * A column kind (number, category, text): how its encoder is fitted on the training rows, how many inputs
 * it gives the model, how it writes them, how it is read back from a run's table.json (untrusted) and what
 * validate says about it. The CSV dataset composes them; a new kind is one module and a registry line.
 */
export interface ColumnKind<C extends TableColumn> {
  readonly description: string;
  /** The JSON Schema of the settings `data.columns.<name>` may give this kind (`{ type: <kind>, …settings }`). */
  readonly settings: Readonly<Record<string, object>>;
  /** Training cells that a table's column is read as this kind from, unless declared (the registry's tests run on them). */
  readonly example: readonly string[];
  fit(column: ColumnData, rows: readonly number[], options: FitOptions): C;
  width(column: C): number;
  encode(column: C, data: ColumnData, rows: readonly number[], into: EncodeTarget): void;
  /** The column from table.json's fields, or undefined when they are not what this kind writes. */
  read(fields: Readonly<Record<string, unknown>>, name: string): C | undefined;
  /** What validate and the run print about the column, given the test rows (for a vocabulary's coverage). */
  describe(column: C, train: ColumnData, trainRows: readonly number[], test: ColumnData, testRows: readonly number[]): string;
}

/** A kind, typed by the column it makes. */
export const columnKind = <C extends TableColumn>(kind: ColumnKind<C>): ColumnKind<C> => kind;

/** ", 3 missing filled with …" for a column's description. */
export function missingNote(count: number, filledWith: string | undefined, indicator: boolean | undefined): string {
  if (count === 0) return '';
  return `, ${count} missing${filledWith === undefined ? '' : ` filled with ${filledWith}`}${indicator ? ' (with an indicator input)' : ''}`;
}
