import type { TableColumn } from '../dataset.js';
import { UserError } from '../errors.js';
import { meanAndStd, round } from '../statistics.js';
import { EMPTY, missingCellCount, NUMBER_CELL, WORD } from '../table-cells.js';
import { columnKind, missingNote } from './kind.js';

type NumberColumn = Extract<TableColumn, { type: 'number' }>;

/**
 * A number: standardised with the training rows' mean and standard deviation (scikit-learn's
 * StandardScaler); a missing cell becomes the training mean (0 after scaling) or median.
 */
export const number = columnKind<NumberColumn>({
  description: 'a number, standardised with the training rows\' mean and standard deviation (`number` insists: a word in it is an error at its line)',
  example: ['1.5', '2', '', '-3e2', '7'],
  settings: {},
  fit({ table, index, name, cells: { kinds, numbers } }, rows, { imputation }) {
    const row = rows.find((r) => kinds[r] === WORD);
    if (row !== undefined) throw new UserError(`${table.file}:${table.lines[row]}: data.columns says "${name}" is a number, but this row has ${JSON.stringify(table.cell(row, index))} (fix the cell, add it to data.missing, or declare the column a category)`);
    const values = rows.filter((r) => kinds[r] === NUMBER_CELL).map((r) => numbers[r]);
    if (values.length === 0) throw new UserError(`${table.file}:1: column "${name}" has no numbers in the training rows, only missing cells (leave it out: data.columns: { ${name}: ignore })`);
    const fill = imputation.numbers === 'median' ? { fill: median(values) } : {};
    return { name, type: 'number', ...meanAndStd(values), ...fill };
  },
  width: () => 1,
  encode(column, { table, index, cells: { kinds, numbers } }, rows, { inputs, width, offset, counts }) {
    const filler = ((column.fill ?? column.mean) - column.mean) / column.std;
    rows.forEach((row, r) => {
      if (kinds[row] === EMPTY) {
        counts.filled++;
        inputs[r * width + offset] = filler;
      } else if (kinds[row] === WORD) throw new UserError(`${table.file}:${table.lines[row]}: column "${column.name}" holds numbers, but this row has ${JSON.stringify(table.cell(row, index))}`);
      else inputs[r * width + offset] = (numbers[row] - column.mean) / column.std;
    });
  },
  read({ mean, std, fill }, name) {
    if (!Number.isFinite(mean) || !Number.isFinite(std) || (std as number) <= 0 || (fill !== undefined && !Number.isFinite(fill))) return undefined;
    return { name, type: 'number', mean: mean as number, std: std as number, ...(fill === undefined ? {} : { fill: fill as number }) };
  },
  describe(column, train) {
    const missing = missingCellCount(train.table, train.index);
    return `column ${column.name}: number, mean ${round(column.mean)}, standard deviation ${round(column.std)}${missingNote(missing, column.fill === undefined ? undefined : `the median ${round(column.fill)}`, column.indicator)}`;
  },
});

/** The median (the mean of the middle two of an even count), as numpy's. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
