import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../load-dataset.js';

const root = mkdtempSync(join(tmpdir(), 'specml-csv-'));
const cache = join(root, 'cache');
process.env.SPECML_CACHE_DIR = cache;
afterAll(() => rmSync(root, { recursive: true, force: true }));
const warnings: string[] = [];
const write = (name: string, text: string) => {
  writeFileSync(join(root, name), text);
  return name;
};
const load = (spec: Record<string, unknown>) => loadDataset({ dataset: 'csv', ...spec } as never, { baseDir: root, warn: (message) => warnings.push(message) });

// A BOM, CRLF line ends, a quoted name with a comma and a quote in it, a category column, empty cells.
const TRAIN = '\uFEFFsize,"colour, as ""seen""",weight,label\r\n1,red,10,small\r\n2,blue,,small\r\n3,red,30,small\r\n10,"green, dark",100,large\r\n11,blue,110,large\r\n12,red,120,large\r\n';
const TEST = 'size,"colour, as ""seen""",weight,label\n2,purple,20,small\n11,red,,large\n';

describe('dataset: csv', () => {
  it('reads an RFC 4180 file with a BOM, CRLF and quotes; standardises numbers and one-hot encodes words from the training rows', async () => {
    warnings.length = 0;
    const data = await load({ path: write('train.csv', TRAIN), testPath: write('test.csv', TEST), target: 'label' });
    expect(data.classNames).toEqual(['large', 'small']);
    expect(data.inputShape).toEqual([1 + 3 + 1]);
    const [size, colour, weight] = data.table!.features;
    expect(colour).toEqual({ name: 'colour, as "seen"', type: 'category', categories: ['blue', 'green, dark', 'red'] });
    expect(size).toMatchObject({ name: 'size', type: 'number', mean: 6.5 });
    expect((size as { std: number }).std).toBeCloseTo(Math.sqrt(((1 + 4 + 9 + 100 + 121 + 144) / 6) - 6.5 ** 2), 10);
    expect(weight).toMatchObject({ type: 'number', mean: 74 }); // the empty cell left out
    // Test rows in file order: size 2 → (2 − 6.5)/std; colour purple unseen → all zeros; label small.
    const test = Array.from(data.test.inputs);
    expect(test[0]).toBeCloseTo((2 - 6.5) / (size as { std: number }).std, 5);
    expect(test.slice(1, 4)).toEqual([0, 0, 0]);
    expect(test.slice(6, 9)).toEqual([0, 0, 1]); // red
    expect(test[9]).toBe(0); // empty weight: the training mean, standardised
    expect(Array.from(data.test.labels)).toEqual([1, 0]);
    expect(warnings).toEqual(['2 empty number cells were filled with the training mean of the column', '1 test cell has a category the training rows do not have (encoded as all zeros)']);
    expect(data.notes[1]).toBe('column colour, as "seen": category, 3 values (blue, green, dark, red)');
  });

  it('keeps the decoded table in the cache by its bytes: loaded again without parsing, with the same warnings; an edit decodes again', async () => {
    rmSync(cache, { recursive: true, force: true });
    const spec = { path: write('cached.csv', TRAIN), testPath: write('cached-test.csv', TEST), target: 'label' };
    warnings.length = 0;
    const first = await load(spec);
    const firstWarnings = [...warnings];
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(1);
    warnings.length = 0;
    const again = await load(spec);
    expect(warnings).toEqual(firstWarnings);
    expect([again.train.inputs, again.train.labels, again.test.inputs, again.classNames, again.table, again.notes]).toEqual([first.train.inputs, first.train.labels, first.test.inputs, first.classNames, first.table, first.notes]);
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(1);
    // The same size, written at once: only the bytes tell it apart (a weight of 30 becomes 31).
    write('cached.csv', TRAIN.replace('3,red,30', '3,red,31'));
    const edited = await load(spec);
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(2);
    expect((edited.table!.features[2] as { mean: number }).mean).toBeCloseTo(74.2, 10);
    // Another target is another entry; a regression of the same file too.
    await load({ ...spec, target: 'size' });
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(3);
  });

  it('defaults the target to the last column and the features to the others, or takes them from the spec', async () => {
    const data = await load({ path: 'train.csv', testPath: 'test.csv' });
    expect(data.table!.target).toBe('label');
    const picked = await load({ path: 'train.csv', testPath: 'test.csv', features: ['weight'] });
    expect(picked.table!.features.map((column) => column.name)).toEqual(['weight']);
    expect(picked.inputShape).toEqual([1]);
  });

  it('holds out a stratified test split from one file, with the statistics of the training rows only', async () => {
    const rows = ['x,y', ...Array.from({ length: 40 }, (_, i) => `${i},${i < 30 ? 'a' : 'b'}`)].join('\n');
    const data = await load({ path: write('split.csv', rows), testSplit: 0.25 });
    expect([data.train.count, data.test.count]).toEqual([29, 11]); // round(30 × 0.25) = 8 of a, round(10 × 0.25) = 3 of b
    expect(Array.from(data.test.labels).filter((label) => label === 1)).toHaveLength(3); // a quarter of b's 10
    const trainMean = data.table!.features[0] as { mean: number };
    expect(trainMean.mean).not.toBe(19.5); // the mean of all 40 rows
  });

  it('names file:line and the column of every bad input', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['ragged.csv', 'a,b,c\n1,2,x\n1,2\n', {}, 'ragged.csv:3: this row has 2 fields but the header has 3 (quote fields that hold commas)'],
      ['word.csv', `a,c\n${Array.from({ length: 20 }, (_, i) => `${i},x`).join('\n')}\nabc,y\n`, {}, 'word.csv:22: column "a" holds numbers except here: "abc" (fix the cell, or leave it empty to fill it with the column\'s mean)'],
      ['typo.csv', 'size,label\n1,a\n2,b\n', { target: 'lable' }, 'typo.csv:1: data.target: no column "lable" (did you mean "label"?); the columns are size, label'],
      ['typo-feature.csv', 'size,label\n1,a\n2,b\n', { features: ['szie'] }, 'typo-feature.csv:1: data.features: no column "szie" (did you mean "size"?); the columns are size, label'],
      ['one-class.csv', 'size,label\n1,a\n2,a\n', {}, 'one-class.csv:1: the target column "label" has only one value (a); a classifier needs at least 2 classes'],
      ['quote.csv', 'a,b\n1,"unclosed\n', {}, 'quote.csv:2: not valid CSV'],
    ];
    for (const [name, text, spec, message] of cases) {
      await expect(load({ path: write(name, text), ...spec }), name).rejects.toThrow(join(root, message.split(':')[0]) + message.slice(message.indexOf(':')));
    }
    write('unseen-test.csv', 'size,label\n1,small\n5,huge\n');
    await expect(load({ path: 'train.csv', testPath: write('unseen.csv', 'size,"colour, as ""seen""",weight,label\n1,red,3,huge\n') })).rejects.toThrow(
      `${join(root, 'unseen.csv')}:2: the class "huge" in column "label" does not occur in the training rows (their classes: large, small)`,
    );
    // An identifier column would become an input per row: 1,200 training rows, 1,200 words.
    const ids = ['id,x,y', ...Array.from({ length: 1500 }, (_, i) => `row-${i},${i},${i % 2 ? 'a' : 'b'}`)].join('\n');
    await expect(load({ path: write('ids.csv', ids) })).rejects.toThrow(`${join(root, 'ids.csv')}:1: column "id" has 1200 different words, more than the 1000 categories a column may have (one input each): is it an identifier or free text? List the columns to read in data.features`);
    const many = ['x,y', ...Array.from({ length: 300 }, (_, i) => `${i},${i * 1.5}`)].join('\n');
    await expect(load({ path: write('many.csv', many) })).rejects.toThrow('the target column "y" has 300 different values, more than the 256 classes specml trains (it holds numbers: to predict a number, set task: regression)');
  });
});
