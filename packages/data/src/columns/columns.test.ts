import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodedWidth, encodeRows, inferColumn, inferredType, parseTableEncoding, readCsv, rowIndices } from '../table.js';
import { COLUMN_KINDS, COLUMN_TYPES, kindOf } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'specml-columns-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A table with the kind's example cells as column `x` and a target beside them. */
function exampleTable(cells: readonly string[]) {
  const file = join(root, `${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, ['x,y', ...cells.map((cell, row) => `${JSON.stringify(cell)},${row % 2}`)].join('\n'));
  return readCsv(file);
}

// Every registered kind, by its own examples: a new kind is tested by being registered.
describe.each(COLUMN_TYPES)('column kind %s', (type) => {
  const kind = COLUMN_KINDS[type];
  const table = exampleTable(kind.example);
  const rows = rowIndices(table);

  it('is what its example cells are read as, and says so in the schema docs', () => {
    expect(inferredType(table, 0, rows)).toBe(type);
    expect(kind.description.length).toBeGreaterThan(20);
  });

  it('encodes every row into as many inputs as it says, all finite, a missing cell included', () => {
    const column = inferColumn(table, 0, rows, { type, settings: {} }, { numbers: 'mean', categories: 'missing', indicator: true });
    const encoding = { target: 'y', features: [column] };
    const { inputs } = encodeRows(table, rows, encoding);
    expect(encodedWidth([column])).toBe(kindOf(type).width(column) + 1);
    expect(inputs.length).toBe(rows.length * encodedWidth([column]));
    expect(inputs.every(Number.isFinite)).toBe(true);
    // The indicator input: 1 exactly on the missing row.
    const width = encodedWidth([column]);
    expect(rows.map((row) => inputs[row * width + width - 1])).toEqual(kind.example.map((cell) => (cell === '' ? 1 : 0)));
    // Rows that differ in the file differ in their inputs.
    const distinct = new Set(kind.example.filter(Boolean));
    expect(new Set(rows.filter((row) => kind.example[row] !== '').map((row) => inputs.subarray(row * width, (row + 1) * width).join())).size).toBe(distinct.size);
  });

  it('reads back from table.json as it was written, and refuses damaged fields', () => {
    const column = inferColumn(table, 0, rows, { type, settings: {} });
    const saved = JSON.parse(JSON.stringify({ target: 'y', features: [column] }));
    expect(parseTableEncoding(saved, 'table.json').features).toEqual([column]);
    const damaged = { target: 'y', features: [{ name: 'x', type }] };
    expect(() => parseTableEncoding(damaged, 'table.json')).toThrow(`table.json: feature "x" is not a ${COLUMN_TYPES.join(', ')} column as specml writes them; the run folder is damaged (train the run again)`);
  });
});
