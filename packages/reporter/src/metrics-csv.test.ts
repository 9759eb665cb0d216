import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendMetricsRow, createMetricsCsv, rewriteMetricsCsv } from './metrics-csv.js';

describe('metrics CSV', () => {
  it('writes the exact header, an epoch-0 row with empty train columns, and one row per epoch', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'specml-csv-')), 'metrics.csv');
    createMetricsCsv(path);
    expect(readFileSync(path, 'utf8')).toBe('epoch,train_loss,train_accuracy,test_loss,test_accuracy,test_f1,test_auc,epoch_seconds,samples_per_second\n');
    appendMetricsRow(path, { epoch: 0, test_loss: 2.3051234567891, test_accuracy: 0.0974, test_f1: 0.05, test_auc: 0.5 });
    appendMetricsRow(path, {
      epoch: 1,
      train_loss: 0.31,
      train_accuracy: 0.9,
      test_loss: 0.15,
      test_accuracy: 0.951,
      test_f1: 0.9498,
      test_auc: 0.99,
      epoch_seconds: 1.23456789012,
      samples_per_second: 48600.5,
    });
    expect(readFileSync(path, 'utf8').split('\n')).toEqual([
      'epoch,train_loss,train_accuracy,test_loss,test_accuracy,test_f1,test_auc,epoch_seconds,samples_per_second',
      '0,,,2.305123457,0.0974,0.05,0.5,,',
      '1,0.31,0.9,0.15,0.951,0.9498,0.99,1.23456789,48600.5',
      '',
    ]);
  });

  it('leaves an undefined metric (R² of a constant target) empty instead of writing NaN', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'specml-csv-')), 'metrics.csv');
    const columns = ['epoch', 'test_loss', 'test_rmse', 'test_r2'] as const;
    createMetricsCsv(path, columns);
    appendMetricsRow(path, { epoch: 0, test_loss: 1.5, test_rmse: 2, test_r2: Number.NaN }, columns);
    expect(readFileSync(path, 'utf8')).toBe('epoch,test_loss,test_rmse,test_r2\n0,1.5,2,\n');
  });

  it('rewrites the file to exactly the given rows, dropping a torn last line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'specml-csv-')), 'metrics.csv');
    createMetricsCsv(path);
    appendMetricsRow(path, { epoch: 0, test_loss: 2.3, test_accuracy: 0.1 });
    writeFileSync(path, '1,0.5,0.8,0.4', { flag: 'a' });
    rewriteMetricsCsv(path, [{ epoch: 0, test_loss: 2.3, test_accuracy: 0.1 }]);
    expect(readFileSync(path, 'utf8')).toBe('epoch,train_loss,train_accuracy,test_loss,test_accuracy,test_f1,test_auc,epoch_seconds,samples_per_second\n0,,,2.3,0.1,,,,\n');
  });
});
