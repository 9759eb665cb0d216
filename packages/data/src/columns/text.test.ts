import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TableColumn } from '../dataset.js';
import { encodeRows, parseTableEncoding, sequenceFirst, inferColumn, readCsv, rowIndices, tableInputOf, type CsvTable } from '../table.js';
import { tokenize } from '../text/tokenize.js';

const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
if (!hasSklearn && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-sklearn is required here (SPECML_REQUIRE_SKLEARN)');
const hasRData = spawnSync('Rscript', ['-e', 'library(modeldata)'], { stdio: 'ignore' }).status === 0;
if (!hasRData && process.env.SPECML_REQUIRE_R) throw new Error('R with r-cran-modeldata is required here (SPECML_REQUIRE_R)');

const root = mkdtempSync(join(tmpdir(), 'specml-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function table(name: string, lines: readonly string[]): CsvTable {
  writeFileSync(join(root, name), lines.join('\n'));
  return readCsv(join(root, name));
}
const fit = (data: CsvTable, settings: Record<string, unknown> = {}, rows = rowIndices(data)) =>
  inferColumn(data, 0, rows, { type: 'text', settings }) as Extract<TableColumn, { type: 'text' }>;
const encode = (data: CsvTable, column: TableColumn, rows = rowIndices(data)) => encodeRows(data, rows, { target: 'y', features: [column] }).inputs;

describe('text columns', () => {
  const reviews = table('reviews.csv', ['review,y', 'good good bad,1', 'bad ugly,0', 'good ugly fine,1', '"",0']);

  it('keeps the maxTokens most frequent training tokens, ties in the order first seen', () => {
    expect(fit(reviews).vocabulary).toEqual(['good', 'bad', 'ugly', 'fine']);
    expect(fit(reviews, { maxTokens: 2 }).vocabulary).toEqual(['good', 'bad']);
    // Only the training rows count: the last two rows' words are not in it.
    expect(fit(reviews, {}, [1]).vocabulary).toEqual(['bad', 'ugly']);
  });

  it('writes a sequence as the ids of the first maxLength tokens in order: 0 pads, 1 is unknown, the vocabulary from 2', () => {
    const column = fit(reviews, { encoding: 'sequence', maxLength: 3 });
    expect(column).toMatchObject({ encoding: 'sequence', maxLength: 3, vocabulary: ['good', 'bad', 'ugly', 'fine'] });
    expect(column.bag).toBeUndefined();
    // good good bad | bad ugly | good ugly fine | (missing)
    expect([...encode(reviews, column)]).toEqual([2, 2, 3, 3, 4, 0, 2, 4, 5, 0, 0, 0]);
    const unseen = table('unseen-sequence.csv', ['review,y', 'terrible good and more words than fit,0']);
    expect([...encode(unseen, fit(reviews, { encoding: 'sequence', maxLength: 4 }))]).toEqual([1, 2, 1, 1]);
    expect(tableInputOf({ target: 'y', features: [column] })).toEqual({ inputShape: [3], vocabularySize: 6 });
    // Beside other columns, the sequence comes first in the row (where the embedding reads it); the other
    // columns' encoding follows and is counted apart. Two sequences are refused: a model has one embedding.
    const number = { name: 'age', type: 'number', mean: 0, std: 1 } as const;
    const features = sequenceFirst([number, column], 'reviews.csv');
    expect(features).toEqual([column, number]);
    expect(tableInputOf({ target: 'y', features })).toEqual({ inputShape: [4], vocabularySize: 6, sideFeatures: 1 });
    expect(() => sequenceFirst([column, number, { ...column, name: 'title' }], 'reviews.csv')).toThrow(
      'reviews.csv:1: data.columns review and title are both read as sequences (encoding: sequence), but a model has one embedding, which reads one text: read all but one as a bag of words (data.columns.title: { type: text, encoding: bag })',
    );
    // A table.json (untrusted) whose sequence is not first is refused as damaged.
    expect(() => parseTableEncoding({ target: 'y', features: [number, column] }, 'table.json')).toThrow('table.json: a text read as a sequence is not the first feature (its token ids start every row); the run folder is damaged (train the run again)');
    // Missing cells are empty texts, never an extra input, whatever the imputation asks.
    expect(inferColumn(reviews, 0, rowIndices(reviews), { type: 'text', settings: { encoding: 'sequence' } }, { numbers: 'mean', categories: 'missing', indicator: true })).not.toHaveProperty('indicator');
  });

  it('writes counts, 0/1 or TF-IDF; unknown tokens and missing cells are all zeros', () => {
    const vocabulary = fit(reviews).vocabulary;
    expect([...encode(reviews, fit(reviews, { bag: 'count' }))]).toEqual([2, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0]);
    expect([...encode(reviews, fit(reviews, { bag: 'multiHot' }))]).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0]);
    const unseen = table('unseen.csv', ['review,y', 'terrible awful,0', 'GOOD and terrible,1']);
    expect([...encode(unseen, fit(reviews, { bag: 'count' }))]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    const tfidf = encode(reviews, fit(reviews));
    // idf = ln((1 + n) / (1 + df)) + 1 over the 4 training rows; each row scaled to length 1.
    const idf = (df: number) => Math.log(5 / (1 + df)) + 1;
    const first = [2 * idf(2), idf(2)];
    expect(tfidf[0]).toBeCloseTo(first[0] / Math.hypot(...first), 6);
    expect(tfidf[1]).toBeCloseTo(first[1] / Math.hypot(...first), 6);
    expect(tfidf.subarray(12)).toEqual(new Float32Array(4));
    expect(vocabulary).toHaveLength(4);
  });

  it('refuses a column without words and a declared text column of numbers, at the file', () => {
    const empty = table('empty.csv', ['note,y', '"",1', '...,0', 'NA,1']);
    expect(() => fit(empty)).toThrow(`${join(root, 'empty.csv')}:1: column "note" has no words in the training rows (every cell is empty or punctuation): leave it out (data.columns: { note: ignore })`);
    const numbers = table('numbers.csv', ['zip,y', '10115,1', '80331,0', ',1']);
    expect(() => fit(numbers)).toThrow(`${join(root, 'numbers.csv')}:1: data.columns says "zip" is text, but its cells are all numbers (declare it number, or category for codes such as a ZIP code)`);
  });

  it('refuses rows whose bags of words would not fit in memory, naming the column to narrow, before allocating them', () => {
    // 6,000 rows of 17 different words each: a vocabulary of 100,000 tokens would make 2.2 GiB of inputs.
    const lines = Array.from({ length: 6000 }, (_, row) => `${Array.from({ length: 17 }, (_, k) => `w${row * 17 + k}`).join(' ')},${row % 2}`);
    const wide = table('wide.csv', ['words,y', ...lines]);
    const column = fit(wide, { maxTokens: 100_000 });
    expect(column.vocabulary).toHaveLength(100_000);
    expect(() => encode(wide, column)).toThrow(`${join(root, 'wide.csv')}: 6000 rows × 100000 inputs would take 2.2 GiB as float32, more than the 2 GiB specml holds: lower data.columns.words.maxTokens (it has 100000 tokens), or use a file of fewer rows`);
  });

  it.skipIf(!hasSklearn || !hasRData)('equals scikit-learn\'s TfidfVectorizer and CountVectorizer on real reviews (modeldata small_fine_foods)', () => {
    const file = join(root, 'fine-foods.csv');
    const exported = spawnSync('Rscript', ['-e', `library(modeldata); data(small_fine_foods); write.csv(head(training_data[, c("review", "score")], 300), "${file}", row.names = FALSE)`], { encoding: 'utf8' });
    expect(exported.status, exported.stderr).toBe(0);
    const foods = readCsv(file);
    const train = [...Array(250).keys()];
    const test = [...Array(50).keys()].map((row) => row + 250);
    for (const settings of [{}, { sublinearTf: true, ngrams: 2, maxTokens: 500 }, { bag: 'count' }, { bag: 'multiHot', lowercase: false }]) {
      const column = fit(foods, settings, train);
      const tokens = rowIndices(foods).map((row) => tokenize(foods.cell(row, 0), column));
      const options = { tfidf: `TfidfVectorizer(analyzer=lambda d: d, vocabulary=vocabulary, sublinear_tf=${column.sublinearTf ? 'True' : 'False'})`, count: 'CountVectorizer(analyzer=lambda d: d, vocabulary=vocabulary)', multiHot: 'CountVectorizer(analyzer=lambda d: d, vocabulary=vocabulary, binary=True)' }[column.bag!];
      const script = `
import json, sys
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
docs, vocabulary = json.load(sys.stdin)
vectorizer = ${options}.fit(docs[:250])
counts = CountVectorizer(analyzer=lambda d: d).fit(docs[:250])
totals = dict(zip(counts.get_feature_names_out(), counts.transform(docs[:250]).sum(axis=0).A1.tolist()))
print(json.dumps([vectorizer.transform(docs[250:]).toarray().ravel().tolist(), [totals[t] for t in vocabulary], max([c for t, c in totals.items() if t not in set(vocabulary)], default=0)]))`;
      const result = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify([tokens, column.vocabulary]), encoding: 'utf8', maxBuffer: 2 ** 28 });
      expect(result.status, result.stderr).toBe(0);
      const [expected, totals, mostLeftOut] = JSON.parse(result.stdout) as [number[], number[], number];
      const ours = encode(foods, column, test);
      expect(ours.length).toBe(expected.length);
      expect(expected.reduce((worst, value, k) => Math.max(worst, Math.abs(value - ours[k])), 0)).toBeLessThan(1e-6);
      // The vocabulary is the most frequent tokens: counts never rise along it, and none left out is more frequent.
      expect(totals.every((count, k) => k === 0 || count <= totals[k - 1])).toBe(true);
      expect(mostLeftOut).toBeLessThanOrEqual(totals.at(-1)!);
    }
  });
});
