import type { TableColumn } from '../dataset.js';
import { UserError } from '../errors.js';
import { EMPTY, missingCellCount, NUMBER_CELL } from '../table-cells.js';
import { columnKind, missingNote } from './kind.js';

type CategoryColumn = Extract<TableColumn, { type: 'category' }>;

/** The most categories one column may be one-hot encoded into (an identifier column would make an input per row). */
export const MAX_CATEGORIES = 1000;

/**
 * A category: one input per training category (one-hot); a category training never saw is all zeros, a
 * missing one all zeros (a level of its own) or the most frequent category.
 */
export const category = columnKind<CategoryColumn>({
  description: 'one input per value seen in the training rows (one-hot), for words and for integer codes (a ZIP code, a district number)',
  example: ['red', 'blue', 'red', '', 'green'],
  settings: {},
  fit({ table, name, index, cells: { kinds } }, rows, { imputation }) {
    const filled = rows.filter((row) => kinds[row] !== EMPTY);
    const categories = [...new Set(filled.map((row) => table.cell(row, index).trim()))];
    // Integer codes in numeric order, words alphabetically.
    if (filled.every((row) => kinds[row] === NUMBER_CELL)) categories.sort((a, b) => Number(a) - Number(b));
    else categories.sort();
    if (categories.length > MAX_CATEGORIES) {
      throw new UserError(`${table.file}:1: column "${name}" has ${categories.length} different values, more than the ${MAX_CATEGORIES} categories a column may have (one input each): if it is an identifier, leave it out (data.columns: { ${name}: ignore }); if it is free text, read it as text (data.columns: { ${name}: text })`);
    }
    const fill = imputation.categories === 'mostFrequent' && categories.length > 0 ? { fill: mostFrequent(filled.map((row) => table.cell(row, index).trim()), categories) } : {};
    return { name, type: 'category', categories, ...fill };
  },
  width: (column) => column.categories.length,
  encode(column, { table, index, cells: { kinds } }, rows, { inputs, width, offset, counts }) {
    const categoryOf = new Map(column.categories.map((value, k) => [value, k]));
    const filler = column.fill === undefined ? undefined : categoryOf.get(column.fill);
    rows.forEach((row, r) => {
      if (kinds[row] === EMPTY) {
        if (filler !== undefined) inputs[r * width + offset + filler] = 1;
        return;
      }
      const k = categoryOf.get(table.cell(row, index).trim());
      if (k === undefined) counts.unseen++;
      else inputs[r * width + offset + k] = 1;
    });
  },
  read({ categories, fill }, name) {
    if (!Array.isArray(categories) || categories.length > 100_000 || !categories.every((value) => typeof value === 'string')) return undefined;
    if (fill !== undefined && !(typeof fill === 'string' && categories.includes(fill))) return undefined;
    return { name, type: 'category', categories: categories as string[], ...(fill === undefined ? {} : { fill: fill as string }) };
  },
  describe(column, train) {
    const missing = missingCellCount(train.table, train.index);
    return `column ${column.name}: category, ${column.categories.length} values (${column.categories.slice(0, 8).join(', ')}${column.categories.length > 8 ? ', …' : ''})${missingNote(missing, column.fill === undefined ? undefined : `"${column.fill}"`, column.indicator)}`;
  },
});

/** The most frequent value; ties go to the first in `order` (scikit-learn: the smallest). */
function mostFrequent(values: readonly string[], order: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return order.reduce((best, value) => ((counts.get(value) ?? 0) > (counts.get(best) ?? 0) ? value : best), order[0]);
}
