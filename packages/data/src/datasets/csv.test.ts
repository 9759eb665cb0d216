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
    expect(warnings).toEqual(['2 missing number cells were filled with the training mean of the column', '1 test cell has a category the training rows do not have (encoded as all zeros)']);
    warnings.length = 0;
    await load({ path: write('train.csv', TRAIN), testPath: write('test.csv', TEST), target: 'label', impute: { numbers: 'median' } });
    expect(warnings[0]).toBe('2 missing number cells were filled with the training median of the column');
    expect(data.notes[0]).toBe('target label (data.target): 2 classes (large, small)');
    expect(data.notes[2]).toBe('column colour, as "seen": category, 3 values (blue, green, dark, red)');
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

  it('reads missing markers (NA, null, …) as missing: a number column with many of them stays numeric, a row without its target is left out', async () => {
    // Like R's write.csv of Titanic: age is NA in 40 % of the rows, one row has no class.
    const rows = ['"survived","age","sex"', ...Array.from({ length: 20 }, (_, i) => `"${i % 2 ? 'yes' : 'no'}",${i % 5 < 2 ? 'NA' : 20 + i},"${i % 3 ? 'male' : 'female'}"`), 'NA,30,"male"', '"yes",null,"N/A"'];
    warnings.length = 0;
    const data = await load({ path: write('titanic.csv', rows.join('\n')), target: 'survived', testSplit: 0.25 });
    const [age, sex] = data.table!.features;
    expect(age).toMatchObject({ name: 'age', type: 'number' });
    expect(sex).toEqual({ name: 'sex', type: 'category', categories: ['female', 'male'] });
    expect(data.classNames).toEqual(['no', 'yes']);
    expect(data.train.count + data.test.count).toBe(21);
    expect(warnings[0]).toBe(`${join(root, 'titanic.csv')}: 1 row left out: the target column "survived" is missing there (first at line 22)`);
    expect(data.notes).toContain('column age: number, mean ' + data.notes.find((note) => note.startsWith('column age'))!.split('mean ')[1]);
    expect(data.notes.find((note) => note.startsWith('column age'))).toMatch(/, 9 missing$/);
    // The markers are the spec's to choose: with none but the empty cell, NA is a word, so a class and a category.
    const literal = await load({ path: 'titanic.csv', target: 'survived', missing: [] });
    expect([literal.classNames, literal.table!.features[0].type]).toEqual([['NA', 'no', 'yes'], 'category']);
  });

  it('fills a missing number with the median and a missing category with the most frequent, and adds indicator inputs', async () => {
    write('gaps.csv', 'x,colour,y\n1,red,a\n2,blue,b\n10,,a\nNA,red,b\n4,red,a\n');
    write('gaps-test.csv', 'x,colour,y\nNA,,a\n');
    const data = await load({ path: 'gaps.csv', testPath: 'gaps-test.csv', impute: { numbers: 'median', categories: 'mostFrequent' }, missingIndicator: true });
    const [x, colour] = data.table!.features as unknown as [{ mean: number; std: number; fill: number; indicator: boolean }, { categories: string[]; fill: string; indicator: boolean }];
    expect([x.fill, x.indicator, colour.categories, colour.fill, colour.indicator]).toEqual([3, true, ['blue', 'red'], 'red', true]);
    // The test row: x missing → the median, standardised, then its indicator; colour missing → red, then its indicator.
    expect(Array.from(data.test.inputs)).toEqual([Math.fround((3 - x.mean) / x.std), 1, 0, 1, 1]);
    expect(data.inputShape).toEqual([5]);
  });

  it('takes column types from data.columns: integer codes as categories, ids ignored, names checked against the header', async () => {
    const rows = ['id,rad,zip,price', ...Array.from({ length: 12 }, (_, i) => `${1000 + i},${[1, 4, 24][i % 3]},0${7000 + (i % 2)},${i % 2 ? 'high' : 'low'}`)];
    write('codes.csv', rows.join('\n'));
    const guessed = await load({ path: 'codes.csv', testSplit: 0.25 });
    expect(guessed.table!.features.map((column) => [column.name, column.type])).toEqual([['id', 'number'], ['rad', 'number'], ['zip', 'number']]);
    const declared = await load({ path: 'codes.csv', testSplit: 0.25, columns: { rad: 'category', zip: 'category', id: 'ignore' } });
    expect(declared.table!.features).toEqual([
      { name: 'rad', type: 'category', categories: ['1', '4', '24'] },
      { name: 'zip', type: 'category', categories: ['07000', '07001'] },
    ]);
    expect(declared.inputShape).toEqual([5]);
    await expect(load({ path: 'codes.csv', columns: { zpi: 'category' } })).rejects.toThrow(`${join(root, 'codes.csv')}:1: data.columns: no column "zpi" (did you mean "zip"?); the columns are id, rad, zip, price`);
    await expect(load({ path: 'codes.csv', columns: { price: 'ignore' } })).rejects.toThrow('data.columns: "price" is the target column, so it cannot be ignored');
    write('not-a-number.csv', 'x,y\n1,a\n2,b\nthree,a\n4,b\n');
    await expect(load({ path: 'not-a-number.csv', columns: { x: 'number' } })).rejects.toThrow(`${join(root, 'not-a-number.csv')}:4: data.columns says "x" is a number, but this row has "three" (fix the cell, add it to data.missing, or declare the column a category)`);
  });

  it('reads a spreadsheet export: semicolons, decimal commas, latin1 and mixed line endings, to the same numbers as a plain CSV', async () => {
    const plain = 'länge,breite,art\n1.5,2,groß\n2.25,3,groß\n7.5,8,klein\n8.75,9,klein\n1,2.5,groß\n9,8.5,klein\n';
    write('plain.csv', plain);
    const exported = plain.replace(/,/g, ';').replace(/(\d)\.(\d)/g, '$1,$2').split('\n').map((line, i) => line + (i % 2 ? '\r' : '')).join('\n');
    writeFileSync(join(root, 'excel.csv'), Buffer.from(exported, 'latin1'));
    const expected = await load({ path: 'plain.csv', testSplit: 0.34 });
    const read = await load({ path: 'excel.csv', testSplit: 0.34, decimal: ',', encoding: 'latin1' });
    expect([read.classNames, read.train.inputs, read.test.inputs, read.table!.features]).toEqual([expected.classNames, expected.train.inputs, expected.test.inputs, expected.table!.features]);
    expect(read.notes[0]).toBe('target art (the last column; set data.target to predict another): 2 classes (groß, klein); fields separated by semicolons (found in the header)');
    // The same file read as UTF-8 is named at its first line that is not UTF-8, with the fix.
    await expect(load({ path: 'excel.csv', decimal: ',' })).rejects.toThrow(`${join(root, 'excel.csv')}:1: this line is not UTF-8 text (a file saved by Excel or an older system is often latin1: set data.encoding: latin1)`);
    // UTF-16 with its byte order mark (Excel's "Unicode text"), tab-separated.
    writeFileSync(join(root, 'unicode.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(plain.replace(/,/g, '\t'), 'utf16le')]));
    const utf16 = await load({ path: 'unicode.csv', testSplit: 0.34, encoding: 'utf-16' });
    expect([utf16.classNames, utf16.train.inputs]).toEqual([expected.classNames, expected.train.inputs]);
    await expect(load({ path: 'plain.csv', encoding: 'utf-16' })).rejects.toThrow('data.encoding utf-16 needs a byte order mark');
    // A ragged row after mixed line endings is named at its own line with its own field count.
    write('mixed.csv', 'a,b,c\r\n1,2,x\n3,4,y\r\n5,6\n7,8,z\n');
    await expect(load({ path: 'mixed.csv' })).rejects.toThrow(`${join(root, 'mixed.csv')}:4: this row has 2 fields but the header has 3`);
  });

  it('refuses a number beyond 32-bit floats at its line, and keeps the statistics of huge but representable numbers finite', async () => {
    write('huge.csv', 'x,y\n1,a\n2,b\n1e400,a\n4,b\n');
    await expect(load({ path: 'huge.csv' })).rejects.toThrow(`${join(root, 'huge.csv')}:4: column "x" holds 1e400, beyond the ±3.4e38 that training computes in (32-bit floats): rescale the column (say, to thousands or millions) or mark the cell missing`);
    write('huge-target.csv', 'x,y\n1,2\n2,3e39\n3,4\n4,5\n5,6\n');
    await expect(loadDataset({ dataset: 'csv', path: 'huge-target.csv' } as never, { baseDir: root, task: 'regression', warn: () => {} })).rejects.toThrow('huge-target.csv:3: column "y" holds 3e39');
    // Values near the float32 limit that decide the class: their squares overflow float64 sums done naively.
    const rows = ['x,y', ...Array.from({ length: 20 }, (_, i) => `${i % 2 ? '' : '-'}3e38,${i % 2 ? 'big' : 'small'}`)];
    const data = await load({ path: write('limits.csv', rows.join('\n')), testSplit: 0.25 });
    const x = data.table!.features[0] as { mean: number; std: number };
    expect(x.mean).toBe(0);
    expect(x.std).toBeCloseTo(3e38, -30);
    expect(Array.from(data.train.inputs).every((value) => Math.abs(value) === 1)).toBe(true);
  });

  it('says once that R² is undefined when every test row has the same target', async () => {
    write('flat-train.csv', 'x,y\n1,2\n2,3\n3,4\n');
    write('flat-test.csv', 'x,y\n1,7\n2,7\n');
    const said: string[] = [];
    await loadDataset({ dataset: 'csv', path: 'flat-train.csv', testPath: 'flat-test.csv' } as never, { baseDir: root, task: 'regression', warn: (message) => said.push(message) });
    expect(said).toEqual(["every test row's y is 7: R² (the share of the test target's variance explained) is undefined for a constant target and is left empty; MAE and RMSE still say how far off the model is"]);
  });

  it('names file:line and the column of every bad input', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['ragged.csv', 'a,b,c\n1,2,x\n1,2\n', {}, 'ragged.csv:3: this row has 2 fields but the header has 3 (quote fields that hold commas)'],
      ['word.csv', `a,c\n${Array.from({ length: 20 }, (_, i) => `${i},x`).join('\n')}\nabc,y\n`, {}, 'word.csv:22: column "a" holds numbers except here: "abc" (fix the cell, or if it means "missing" add it to data.missing: it is then filled with the column\'s mean)'],
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
    await expect(load({ path: write('ids.csv', ids) })).rejects.toThrow(`${join(root, 'ids.csv')}:1: column "id" has 1200 different values, more than the 1000 categories a column may have (one input each): if it is an identifier, leave it out (data.columns: { id: ignore }); if it is free text, read it as text (data.columns: { id: text })`);
    const many = ['x,y', ...Array.from({ length: 300 }, (_, i) => `${i},${i * 1.5}`)].join('\n');
    await expect(load({ path: write('many.csv', many) })).rejects.toThrow('the target column "y" has 300 different values, more than the 256 classes specml trains (it holds numbers: to predict a number, set task: regression)');
  });
});
