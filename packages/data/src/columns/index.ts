import type { TableColumn } from '../dataset.js';
import { category } from './category.js';
import type { ColumnKind } from './kind.js';
import { number } from './number.js';
import { text } from './text.js';

export type ColumnType = TableColumn['type'];

/** Every column kind by its `data.columns` name: the only list of them (schema, inference, encoding and table.json derive from it). */
export const COLUMN_KINDS: { readonly [K in ColumnType]: ColumnKind<Extract<TableColumn, { type: K }>> } = { number, category, text };

export const COLUMN_TYPES = Object.keys(COLUMN_KINDS) as ColumnType[];

/** The kind of a column, for code that handles any column. */
export const kindOf = (type: ColumnType): ColumnKind<TableColumn> => COLUMN_KINDS[type] as ColumnKind<TableColumn>;
