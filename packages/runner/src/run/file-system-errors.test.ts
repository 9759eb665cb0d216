import { describe, expect, it } from 'vitest';
import { withPath } from '@specml/reporter';
import { fileSystemProblem } from './file-system-errors.js';

const fault = (code: string, syscall: string, path = '/runs/x/metrics.csv') => Object.assign(new Error(code), { code, syscall, path });

describe('file-system problems', () => {
  it('says read or write as it was: open(2) fails alike for both, and only writers mark their errors', () => {
    expect(fileSystemProblem(fault('ENOENT', 'open'))).toBe('/runs/x/metrics.csv: cannot read: it does not exist (was it moved or deleted?)');
    expect(fileSystemProblem(withPath(fault('ENOENT', 'open'), '/runs/x/summary.json'))).toBe('/runs/x/summary.json: cannot write: it does not exist (was its folder removed while the run wrote to it?)');
    expect(fileSystemProblem(fault('ENOSPC', 'write'))).toBe('/runs/x/metrics.csv: cannot write: no space left on the device (free some, then resume the run)');
    expect(fileSystemProblem(new Error('not a file-system error'))).toBeUndefined();
  });
});
