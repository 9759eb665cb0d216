import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSweep, SWEEP_FILES } from './sweep-folders.js';

const work = mkdtempSync(join(tmpdir(), 'specml-sweep-folders-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const RECORD = {
  name: 'grid',
  sweepId: '1',
  specFile: 'grid.yaml',
  method: 'grid',
  keys: ['epochs'],
  metric: { name: 'validation_accuracy', goal: 'maximize' },
  trialCount: 1,
  state: 'completed',
  startedAt: '2026-12-04T15:00:00.000Z',
  trials: [{ index: 1, values: { epochs: 1 }, overrides: ['epochs=1'], state: 'completed', runId: 'run-1', metric: 0.5, epochs: 1, message: '' }],
};

function sweepFolder(name: string, record: object): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, SWEEP_FILES.state), JSON.stringify(record));
  return dir;
}

describe('sweep records', () => {
  it('read the coordinator\'s peak memory when there, and refuse one that is not a number of MiB', () => {
    expect(readSweep(sweepFolder('without', RECORD)).peakRssMiB).toBeUndefined();
    expect(readSweep(sweepFolder('with', { ...RECORD, peakRssMiB: 96.2 })).peakRssMiB).toBe(96.2);
    for (const [name, peakRssMiB] of [['text', 'lots'], ['negative', -1]] as const) {
      expect(() => readSweep(sweepFolder(name, { ...RECORD, peakRssMiB }))).toThrow(`${join(work, name, SWEEP_FILES.state)}: not a sweep record`);
    }
  });
});
