import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvText } from './csv-text.js';
import { confusionCsv, predictionsCsv } from './run-pictures.js';

describe('every CSV written escapes what a spreadsheet would run as a formula', () => {
  it('prefixes a quote to text cells beginning with = + - @ tab or CR, and leaves numbers and negative numbers alone', () => {
    const cells = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd', 'plain', '-0.25', '1e-3', -7, 0.5, ''];
    const [row] = parse(csvText([cells]), { relax_column_count: true }) as string[][];
    expect(row).toEqual([`'=HYPERLINK("http://x","y")`, "'+1+2", "'-2+3", "'@SUM(A1)", "'\tcmd", "'\rcmd", 'plain', '-0.25', '1e-3', '-7', '0.5', '']);
  });

  it('escapes class names from the user\'s files in the confusion matrix and the predictions', () => {
    const names = ['=cmd|"/c calc"!A0', 'benign'];
    expect(confusionCsv([[1, 0], [0, 1]], names)).toBe(`true_class,"'=cmd|""/c calc""!A0",benign\n"'=cmd|""/c calc""!A0",1,0\nbenign,0,1\n`);
    const predictions = parse(predictionsCsv([0], Float32Array.of(0.25, 0.75), names)) as string[][];
    expect(predictions).toEqual([
      ['test_row', 'true_class', 'predicted_class', 'probability_=cmd|"/c calc"!A0', 'probability_benign'],
      ['1', `'=cmd|"/c calc"!A0`, 'benign', '0.2500', '0.7500'],
    ]);
  });
});
