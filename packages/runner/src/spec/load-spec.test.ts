import { ACTIVATIONS, LAYER_TYPES } from '@specml/model-zoo';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from './load-spec.js';
import { SpecError } from './user-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'specml-spec-'));
const TAIL = 'model: { layers: [{ units: 10, activation: softmax }] }\n';

function write(name: string, content: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Every line the spec produces, with the temporary folder removed from file names. */
function problems(content: string | Uint8Array, overrides: string[] = [], name = 'spec.yaml'): string[] {
  const file = write(name, content);
  try {
    loadSpec(file, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    const { message, details } = error as SpecError;
    return [message, ...details].map((line) => line.replaceAll(`${dir}/`, ''));
  }
  throw new Error('expected the spec to be rejected');
}

describe('loadSpec', () => {
  it('fills every default and names the run after the file', () => {
    const { spec } = loadSpec(write('my-net.yaml', TAIL));
    expect(spec).toEqual({
      name: 'my-net',
      seed: 1,
      backend: 'auto',
      task: 'classification',
      data: { dataset: 'mnist', shuffle: true },
      model: { initializer: 'pytorch', layers: [{ type: 'dense', units: 10, activation: 'softmax' }] },
      optimizer: { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
      batchSize: 32,
      epochs: 1,
      repeats: 1,
    });
  });

  it('applies --set overrides as YAML values, including into lists', () => {
    const { spec } = loadSpec(write('o.yaml', `optimizer: { name: sgd }\n${TAIL}`), ['optimizer.learningRate=0.01', 'epochs=3', 'model.layers.0.activation=softmax', 'data.trainLimit=500']);
    expect(spec.optimizer.learningRate).toBe(0.01);
    expect(spec.epochs).toBe(3);
    expect(spec.data.trainLimit).toBe(500);
  });

  it('expands a preset, which keys beside it and --set override key by key', () => {
    const { spec } = loadSpec(write('lenet.yaml', 'model: { preset: lenet5 }\n'), ['model.layers.5.units=200']);
    expect(spec.model.initializer).toBe('heNormal');
    expect(spec.model.layers.map((layer) => layer.type)).toEqual(['conv2d', 'maxPooling2d', 'conv2d', 'maxPooling2d', 'flatten', 'dense', 'dense', 'dense']);
    expect(spec.model.layers[5]).toEqual({ type: 'dense', units: 200, activation: 'relu' });
    expect(spec.model.layers[0]).toEqual({ type: 'conv2d', filters: 6, kernelSize: 5, strides: 1, padding: 'same', activation: 'relu' });
    const tutorial = loadSpec(write('mlp.yaml', 'model: { preset: mlp-tutorial, initializer: glorotUniform }\n')).spec.model;
    expect(tutorial.initializer).toBe('glorotUniform');
    expect(tutorial.layers).toHaveLength(4);
  });

  it('fills the chosen optimizer\'s own defaults', () => {
    const { spec } = loadSpec(write('m.yaml', `optimizer: { name: momentum }\n${TAIL}`));
    expect(spec.optimizer).toEqual({ name: 'momentum', learningRate: 0.01, momentum: 0.9, nesterov: false });
  });

  it.each([
    ['a misspelt top-level key', `modle:\n  layers: []\n`, [
      'spec.yaml:1:1: (root): missing required key "model" (e.g. model: { layers: [{ units: 64, activation: relu }, { units: 10, activation: softmax }] })',
      'spec.yaml:1:1: modle: unknown key "modle" (did you mean "model"?)',
    ]],
    ['a misspelt layer key and activation', 'model:\n  layers:\n    - { unit: 64, activation: relu }\n    - { units: 10, activation: softmx }\n', [
      'spec.yaml:3:7: model.layers[0]: missing required key "units" (e.g. { units: 64, activation: relu })',
      'spec.yaml:3:9: model.layers[0].unit: unknown key "unit" (did you mean "units"?)',
      `spec.yaml:4:32: model.layers[1].activation: must be one of ${ACTIVATIONS.join(', ')}; got the string "softmx" (did you mean "softmax"?)`,
    ]],
    ['a quoted number and a fraction where an integer belongs', `batchSize: "15"\nepochs: 2.5\n${TAIL}`, [
      'spec.yaml:1:12: batchSize: expected an integer, got the string "15" (write the number without quotes)',
      'spec.yaml:2:9: epochs: expected an integer, got 2.5 (use a whole number, e.g. 3)',
    ]],
    ['a negative learning rate', `optimizer: { name: adam, learningRate: -0.1 }\n${TAIL}`, [
      'spec.yaml:1:40: optimizer.learningRate: must be > 0, got -0.1 (try 0.001)',
    ]],
    ['an unknown optimizer', `optimizer: { name: adamw }\n${TAIL}`, [
      'spec.yaml:1:20: optimizer.name: must be one of adam, sgd, momentum, rmsprop, adagrad; got the string "adamw" (did you mean "adam"?)',
    ]],
    ['a parameter of another optimizer', `optimizer: { name: sgd, beta1: 0.9 }\n${TAIL}`, [
      'spec.yaml:1:25: optimizer.beta1: unknown key "beta1" (allowed keys: name, learningRate)',
    ]],
    ['an optimizer without a name', `optimizer: { learningRate: 0.1 }\n${TAIL}`, [
      'spec.yaml:1:12: optimizer: missing required key "name" (one of adam, sgd, momentum, rmsprop, adagrad)',
    ]],
    ['an unknown backend', `backend: gpu\n${TAIL}`, [
      'spec.yaml:1:10: backend: must be one of auto, native, fused, tensorflow, wasm, cpu; got the string "gpu" (did you mean "cpu"?)',
    ]],
    ['an empty file', '', ['spec.yaml: (root): the spec is empty (start from experiments/baseline.yaml; at least `model: { layers: [...] }` is needed)']],
    ['a comment-only file', '# nothing\n', ['spec.yaml: (root): the spec is empty (start from experiments/baseline.yaml; at least `model: { layers: [...] }` is needed)']],
    ['a list instead of a mapping', '- a\n- b\n', [
      'spec.yaml:1:1: (root): expected a mapping (key: value lines), got a list (remove the leading "- " to make it a mapping)',
    ]],
    ['a plain string', 'hello\n', ['spec.yaml:1:1: (root): expected a mapping (key: value lines), got the string "hello"']],
    ['bad indentation', 'model:\n  layers:\n   - units: 3\n  activation: relu\n bad: 1\n', [
      'spec.yaml:5:1: (root): invalid YAML: all mapping items must start at the same column (check the indentation and the ":" after each key)',
    ]],
    ['a tab for indentation', 'model:\n\tlayers: []\n', [
      'spec.yaml:2:1: (root): invalid YAML: tabs are not allowed as indentation (indent with spaces, not tabs)',
    ]],
    ['a duplicate key', `epochs: 1\nepochs: 2\n${TAIL}`, ['spec.yaml:2:1: (root): a key appears twice in the same mapping (remove one of them)']],
    ['a custom tag', `epochs: !!js/function "function(){}"\n${TAIL}`, [
      'spec.yaml:1:9: (root): unknown tag !!js/function (specs are plain YAML: remove the tag)',
    ]],
    ['an alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n', [
      'spec.yaml: (root): cannot be expanded: Excessive alias count indicates a resource exhaustion attack (use at most 100 alias references)',
    ]],
    ['huge numbers', `epochs: 1e400\nbatchSize: 99999999999999999999\n${TAIL}`, [
      'spec.yaml:1:9: epochs: expected an integer, got a number too large to represent (write a number within the allowed range)',
      'spec.yaml:2:12: batchSize: must be <= 65536, got 100000000000000000000 (try 32)',
    ]],
    ['deep nesting', `description: ${'['.repeat(40)}${']'.repeat(40)}\n${TAIL}`, ['spec.yaml: (root): nesting is deeper than 32 levels (a spec is a few levels deep)']],
    ['an idx dataset without a path', `data: { dataset: idx }\n${TAIL}`, [
      'spec.yaml:1:7: data: missing required key "path" (where the data is: a folder for idx and imageFolder, a file for csv)',
    ]],
    ['an empty model', 'model:\n', ['spec.yaml:1:7: model: expected a mapping (key: value lines), got nothing (null) (indent its keys under it)']],
    ['no layers', 'model: { layers: [] }\n', ['spec.yaml:1:18: model.layers: needs at least 1 item, got 0']],
    ['an unknown layer type', 'model: { layers: [{ type: conv, filters: 4 }, { units: 10, activation: softmax }] }\n', [
      `spec.yaml:1:27: model.layers[0].type: must be one of ${LAYER_TYPES.join(', ')}; got the string "conv" (did you mean "conv2d"?)`,
    ]],
    ['a key of another layer type', 'model: { layers: [{ type: maxPooling2d, filters: 4 }, { units: 10, activation: softmax }] }\n', [
      'spec.yaml:1:41: model.layers[0].filters: unknown key "filters" (allowed keys: type, poolSize, strides)',
    ]],
    ['an unknown preset', 'model: { preset: lenet }\n', [
      'spec.yaml:1:8: model: missing required key "layers"',
      'spec.yaml:1:18: model.preset: must be one of mlp-tutorial, lenet5; got the string "lenet" (did you mean "lenet5"?)',
    ]],
    ['a bad run name', `name: "my run!"\n${TAIL}`, [
      'spec.yaml:1:7: name: the string "my run!" is not allowed here (use letters, digits, ".", "_" and "-", starting with a letter or digit)',
    ]],
  ])('locates %s', (_, content, expected) => {
    expect(problems(content)).toEqual(expected);
  });

  it('rejects binary garbage', () => {
    expect(problems(Uint8Array.of(0xff, 0xfe, 0, 1, 2, 0x80))).toEqual([
      'spec.yaml: (root): the spec file is not a UTF-8 text file (is it binary?) (a spec is a YAML text file, e.g. experiments/baseline.yaml)',
    ]);
  });

  it('names a missing file', () => {
    expect(() => loadSpec(join(dir, 'nope.yaml'))).toThrow(`${dir}/nope.yaml: (root): the spec file cannot be read: no such file`);
  });

  it('blames the --set that introduced a bad value, or created an incomplete mapping', () => {
    expect(problems('model: { layers: [{ units: 10, activation: softmax }] }\n', ['model.layers.0.units=-4', 'data.path.x=1', 'optimizer.momentum=0.9'])).toEqual([
      '--set data.path.x=1: data.path: expected a string, got a mapping',
      '--set model.layers.0.units=-4: model.layers[0].units: must be >= 1, got -4',
      '--set optimizer.momentum=0.9: optimizer.momentum: unknown key "momentum" (allowed keys: name, learningRate, beta1, beta2, epsilon)',
    ]);
  });

  it('starts an override into a missing mapping from its default', () => {
    const { spec } = loadSpec(write('defaults.yaml', TAIL), ['optimizer.learningRate=0.01', 'data.trainLimit=100']);
    expect(spec.optimizer).toEqual({ name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expect(spec.data).toEqual({ dataset: 'mnist', trainLimit: 100, shuffle: true });
  });

  it('rejects malformed overrides and overrides into scalars', () => {
    expect(problems(TAIL, ['epochs', 'epochs.x=1', '=3'])).toEqual([
      '--set epochs: (root): expected key.path=value (write --set key.path=value, e.g. --set optimizer.learningRate=0.01)',
      '--set =3: (root): expected key.path=value (write --set key.path=value, e.g. --set optimizer.learningRate=0.01)',
    ]);
    expect(problems(`epochs: 2\n${TAIL}`, ['epochs.x=1'])).toEqual(['--set epochs.x=1: epochs: holds 2, so it has no key "x"']);
  });

  it('bounds list indexes in overrides by the list\'s length, at once and without building the list', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    expect(problems(TAIL, ['model.layers.100000.units=1', 'model.layers.-1.units=10', 'model.layers.10000000.units=1'])).toEqual([
      '--set model.layers.100000.units=1: model.layers: is a list of 1; index 100000 is past its end (use an index from 0 to 1; 1 appends a layer)',
      '--set model.layers.-1.units=10: model.layers: is a list of 1, so "-1" is no index into it (use an index from 0 to 1)',
      '--set model.layers.10000000.units=1: model.layers: is a list of 1; index 10000000 is past its end (use an index from 0 to 1; 1 appends a layer)',
    ]);
    // A list of ten million slots would take 80 MB; the refusal builds none.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 2 ** 20);
    expect(loadSpec(write('append.yaml', TAIL), ['model.layers.1.units=10', 'model.layers.1.activation=softmax', 'model.layers.0.activation=relu']).spec.model.layers).toHaveLength(2);
  });

  it('refuses a device or pipe as a spec before reading it', () => {
    expect(() => loadSpec('/dev/zero')).toThrow('/dev/zero: (root): the spec is not a regular file (a device, pipe or folder) (a spec is a YAML text file, e.g. experiments/baseline.yaml)');
  });
});
