import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReadingFits, DEFAULT_CSV_FORMAT, PROGRESS_CELLS, READING_MEMORY_PER_FILE_BYTE, progressRows, readCsv, type ReadingProgress } from './table.js';
import { columnCells, EMPTY, NUMBER_CELL, rowIndices, WORD } from './table-cells.js';

const root = mkdtempSync(join(tmpdir(), 'specml-table-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  writeFileSync(join(root, name), text);
  return join(root, name);
};

// Numbers written every way a number is written (only plain ones are kept as float64 alone), markers, words,
// quoted cells with delimiters and line breaks, an empty line.
const NUMBERS = ['1', '-0', '0', '1.50', '1e5', '00012', '0.0000001', '0.000001', ' 5', '-3.25', '123456789012345', '1234567890123456', '12345678901234567890', '.5', '+2', '1E-3', '-0.0', '12.50', '3.000', '7.', '-0.50', '100.0', '1e5.0', '5.0e3', '2.5000000'];
const OTHERS = ['NA', '', 'n/a', 'red', 'Red ', '"a, b"', '"two\nlines"', '"say ""hi"""'];

describe('tables kept column by column', () => {
  it('give back every cell exactly as csv-parse reads it, and every row its line', () => {
    const rows: string[] = [];
    for (let row = 0; row < 60; row++) rows.push([NUMBERS[row % NUMBERS.length], OTHERS[row % OTHERS.length], NUMBERS[(row * 7) % NUMBERS.length]].join(','));
    const file = write('cells.csv', `x,y,z\n${rows.slice(0, 30).join('\n')}\n\n${rows.slice(30).join('\n')}\n`);
    const table = readCsv(file);
    const records = parse(`x,y,z\n${rows.slice(0, 30).join('\n')}\n\n${rows.slice(30).join('\n')}\n`, { info: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[];
    expect(table.header).toEqual(['x', 'y', 'z']);
    expect(table.rowCount).toBe(records.length - 1);
    for (const row of rowIndices(table)) {
      expect([0, 1, 2].map((column) => table.cell(row, column))).toEqual(records[row + 1].record);
      expect(table.lines[row]).toBe(records[row + 1].info.lines);
    }
    const x = columnCells(table, 0);
    expect(Array.from(x.kinds.subarray(0, 4))).toEqual([NUMBER_CELL, NUMBER_CELL, NUMBER_CELL, NUMBER_CELL]);
    expect(Array.from(x.numbers.subarray(0, 6))).toEqual([1, -0, 0, 1.5, 1e5, 12]);
    const y = columnCells(table, 1);
    expect(Array.from(y.kinds.subarray(0, 5))).toEqual([EMPTY, EMPTY, EMPTY, WORD, WORD]);
  });

  it('read decimal commas back as written', () => {
    const file = write('comma.csv', 'a;b\n1,5;x\n2,50;y\n-0,25;z\n3;w\n4,;v\n5,000;u\n');
    const table = readCsv(file, { ...DEFAULT_CSV_FORMAT, delimiter: ';', decimal: ',' });
    expect(rowIndices(table).map((row) => table.cell(row, 0))).toEqual(['1,5', '2,50', '-0,25', '3', '4,', '5,000']);
    expect(Array.from(columnCells(table, 0).numbers)).toEqual([1.5, 2.5, -0.25, 3, 4, 5]);
  });

  it('keep many texts as well as few: a column of numbers that turns into words, then a selection of it', () => {
    const cells = Array.from({ length: 6000 }, (_, row) => (row < 2000 ? (row % 50 === 0 ? 'NA' : `${row}.5`) : `word ${row}`));
    const table = readCsv(write('turning.csv', `a\n${cells.join('\n')}\n`));
    expect(rowIndices(table).map((row) => table.cell(row, 0))).toEqual(cells);
    const rows = [5999, 0, 1999, 2000, 50, 3];
    const picked = table.select(rows);
    expect(rowIndices(picked).map((row) => picked.cell(row, 0))).toEqual(rows.map((row) => cells[row]));
  });

  it('keep the rows a selection names, in its order', () => {
    const table = readCsv(write('select.csv', 'a,b\n1,x\n2.0,y\n3,\n'));
    const picked = table.select([2, 0]);
    expect(rowIndices(picked).map((row) => [picked.cell(row, 0), picked.cell(row, 1)])).toEqual([['3', ''], ['1', 'x']]);
    expect(Array.from(picked.lines)).toEqual([4, 2]);
    expect(Array.from(columnCells(picked, 1).kinds)).toEqual([EMPTY, WORD]);
  });

  it('say how far reading has come every PROGRESS_CELLS cells and at the end', () => {
    const columns = 256;
    const every = progressRows(columns);
    expect(every).toBe(PROGRESS_CELLS / columns);
    const count = 2 * every + 10;
    const row = (r: number) => Array.from({ length: columns }, (_, c) => (c === 0 ? r : c % 3)).join(',');
    const file = write('long.csv', `${Array.from({ length: columns }, (_, c) => `c${c}`).join(',')}\n${Array.from({ length: count }, (_, r) => row(r)).join('\n')}\n`);
    const told: Parameters<ReadingProgress>[0][] = [];
    const table = readCsv(file, DEFAULT_CSV_FORMAT, (state) => told.push(state));
    expect(table.rowCount).toBe(count);
    expect(told.map((state) => state.rows)).toEqual([every, 2 * every, count]);
    expect(told[0].bytes).toBeGreaterThan(0);
    expect(told[1].bytes).toBeGreaterThan(told[0].bytes);
    expect(told[1].bytes).toBeLessThan(told[1].totalBytes);
    expect(told[2].bytes).toBe(told[2].totalBytes);
    expect(table.cell(count - 1, 0)).toBe(String(count - 1));
  });

  it('refuse, before parsing, a file that would take more memory to read than the machine has', () => {
    const fileBytes = 300 * 2 ** 20;
    expect(() => checkReadingFits('big.csv', fileBytes, 2 ** 30 * 2)).toThrow(
      `big.csv: reading this 300 MiB table takes about 2.3 GiB of memory (some ${READING_MEMORY_PER_FILE_BYTE}× the file while its cells are parsed), more than the 2.0 GiB this machine has: use a file of fewer rows or columns, or a machine with more memory`,
    );
    expect(() => checkReadingFits('big.csv', fileBytes, 2 ** 30 * 24)).not.toThrow();
  });

  it('keep a table of numbers in less than 4× the memory its rows take as float32 model inputs', () => {
    // Fixed decimals (a tenth end in 0), a few NA cells, a category and a class: as tables are exported.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const count = 100_000;
    const lines = Array.from({ length: count }, (_, row) => [...Array.from({ length: 8 }, () => (random() < 0.01 ? 'NA' : (random() * 100).toFixed(3))), ['red', 'green', 'blue'][row % 3], row % 2 ? 'yes' : 'no'].join(','));
    const file = write('numbers.csv', `a,b,c,d,e,f,g,h,colour,class\n${lines.join('\n')}\n`);
    // Measured in a process of its own: array buffers are counted per process, and other test files share this one.
    // Its collector runs on one thread: concurrent sweeping lags on a busy machine, and heapUsed then still
    // counts the parser's garbage (4.14× once under load, 2.6× quiet).
    const script = `import { readCsv } from ${JSON.stringify(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'table.js')).href)};
      const used = () => { gc(); const { heapUsed, arrayBuffers } = process.memoryUsage(); return heapUsed + arrayBuffers; };
      const before = used(); const table = readCsv(${JSON.stringify(file)}); const kept = used() - before;
      console.log(JSON.stringify({ kept, rows: table.rowCount }));`;
    const measured = spawnSync(process.execPath, ['--expose-gc', '--single-threaded-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(measured.stderr).toBe('');
    const { kept, rows } = JSON.parse(measured.stdout) as { kept: number; rows: number };
    const encodedBytes = count * (8 + 3) * 4;
    expect(rows).toBe(count);
    expect(kept).toBeLessThan(4 * encodedBytes);
  });
});
