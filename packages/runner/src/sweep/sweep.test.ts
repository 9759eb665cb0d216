import { describe, expect, it } from 'vitest';
import { expandSweep, parseSweepOption, sweepAxes } from './sweep.js';

describe('sweeps', () => {
  it('expands the grid, first axis slowest, as --set style overrides', () => {
    const trials = expandSweep(sweepAxes({ 'optimizer.learningRate': [0.01, 0.001], batchSize: [32, 64] }, []));
    expect(trials.map((trial) => trial.overrides)).toEqual([
      ['optimizer.learningRate=0.01', 'batchSize=32'],
      ['optimizer.learningRate=0.01', 'batchSize=64'],
      ['optimizer.learningRate=0.001', 'batchSize=32'],
      ['optimizer.learningRate=0.001', 'batchSize=64'],
    ]);
    expect(trials.map((trial) => trial.index)).toEqual([1, 2, 3, 4]);
  });

  it('reads --sweep values as YAML and lets them replace the block\'s entry', () => {
    expect(parseSweepOption('optimizer.name=sgd,adam')).toEqual({ key: 'optimizer.name', values: ['sgd', 'adam'] });
    const axes = sweepAxes({ batchSize: [32, 64], epochs: [1] }, [parseSweepOption('batchSize=15,"16"')]);
    expect(axes).toEqual([{ key: 'batchSize', values: [15, '16'] }, { key: 'epochs', values: [1] }]);
    expect(expandSweep(axes)[1].overrides).toEqual(['batchSize="16"', 'epochs=1']);
  });

  it('rejects malformed --sweep options and oversized grids', () => {
    expect(() => parseSweepOption('batchSize')).toThrow('--sweep batchSize: expected key.path=value1,value2');
    expect(() => parseSweepOption('batchSize=')).toThrow('--sweep batchSize=: the values must be a comma-separated list, e.g. 0.01,0.001');
    expect(() => parseSweepOption('a b=1')).toThrow('expected key.path=value1,value2');
    const big = Array.from({ length: 20 }, (_, i) => i);
    expect(() => expandSweep([{ key: 'a', values: big }, { key: 'b', values: big }])).toThrow('sweep: 20 × 20 = 400 trials, more than the limit of 256 (sweep fewer values)');
  });
});
