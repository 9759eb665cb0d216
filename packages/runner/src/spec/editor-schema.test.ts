import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, temporaryFolder } from '../test-kit/test-cli.js';
import { YamlLanguageClient, type Diagnostic } from '../test-kit/test-yaml-language-server.js';

/**
 * experiment.schema.json as an editor uses it: the YAML language server that VS Code's YAML extension runs,
 * over LSP, on the shipped examples, the README's snippets and typical mistakes.
 */
const modeline = `# yaml-language-server: $schema=${join(root, 'experiment.schema.json')}\n`;
const examples = readdirSync(join(root, 'experiments')).filter((file) => file.endsWith('.yaml'));
const readmeSnippets = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);

let client: YamlLanguageClient;
let folder: string;

beforeAll(async () => {
  folder = temporaryFolder('editor');
  const editorSettings = JSON.parse(readFileSync(join(root, '.vscode/settings.json'), 'utf8'));
  client = await YamlLanguageClient.start(root, editorSettings['yaml.schemas']);
});

afterAll(async () => {
  await client?.stop();
  rmSync(folder, { recursive: true, force: true });
});

/** Diagnostics for a spec text, checked against the schema through its modeline. */
let documents = 0;
function diagnose(text: string): Promise<Diagnostic[]> {
  return client.diagnose(join(folder, `spec-${++documents}.yaml`), `${modeline}${text}`);
}

const summary = (diagnostics: readonly Diagnostic[]) => diagnostics.map((item) => `${item.range.start.line}: ${item.message}`);

describe('the published schema in the YAML language server', () => {
  it.each(examples)('shows experiments/%s without a diagnostic', async (example) => {
    const file = join(root, 'experiments', example);
    expect(summary(await client.diagnose(file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('checks specs under experiments/ without a modeline, through .vscode/settings.json', async () => {
    const text = readFileSync(join(root, 'experiments/baseline.yaml'), 'utf8').replace(/^# yaml-language-server.*\n/m, '');
    // An editor's unsaved buffer under experiments/: the server has its text, and nothing is written to the
    // repository (other test files list experiments/ meanwhile).
    const withoutModeline = join(root, 'experiments', 'unsaved-editor-buffer.yaml');
    expect(summary(await client.diagnose(withoutModeline, text))).toEqual([]);
    const mistaken = await client.diagnose(withoutModeline, text.replace('epochs: 2', 'epochs: -1'));
    expect(mistaken.map((item) => item.range.start.line)).toEqual([text.split('\n').indexOf('epochs: 2')]);
  });

  it('shows every spec snippet of the README without a diagnostic', async () => {
    expect(readmeSnippets.length).toBeGreaterThanOrEqual(3);
    for (const snippet of readmeSnippets) expect({ snippet, diagnostics: summary(await diagnose(snippet)) }).toEqual({ snippet, diagnostics: [] });
  });

  const base = ['model:', '  layers:', '    - { units: 64, activation: relu }', '    - { units: 10, activation: softmax }'];
  // Each mistake is on the last line written, so the diagnostic must be there (line 0 is the modeline).
  const mistakes: Record<string, string[]> = {
    'a negative epoch count': [...base, 'epochs: -1'],
    'an unknown optimizer': [...base, 'optimizer: { name: adamx }'],
    'an unknown top-level key': [...base, 'epoch: 3'],
    'a misspelt activation': ['model:', '  layers:', '    - { units: 10, activation: reluu }'],
    'beta1 under sgd': [...base, 'optimizer: { name: sgd, beta1: 0.9 }'],
    'a convolution without filters': ['model:', '  layers:', '    - { type: conv2d, kernelSize: 3 }'],
    'an unknown layer type': ['model:', '  layers:', '    - { type: conv3d, filters: 4 }'],
    'a model with neither layers nor a preset': ['seed: 3', 'model: { initializer: heNormal }'],
    'an unknown preset': ['model: { preset: lenet6 }'],
    'an unknown key path in a sweep': [...base, 'sweep:', '  optimizer.learningrate: [0.1, 0.01]'],
    'an unknown layer key in a sweep': [...base, 'sweep:', '  model.layers.0.unit: [32, 64]'],
    'a sweep value out of range': [...base, 'sweep:', '  optimizer.learningRate: [0.01, -1]'],
    'a sweep value that is no list': [...base, 'sweep:', '  batchSize: 32'],
  };

  it.each(Object.entries(mistakes))('flags %s on its line', async (_, lines) => {
    const diagnostics = await diagnose(`${lines.join('\n')}\n`);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.map((item) => item.range.start.line)).toContain(lines.length);
  });

  it('accepts what the runner fills in: a layer without type, a preset without layers, sweeps over layer keys', async () => {
    const spec = ['model: { preset: lenet5, layers: [{ type: conv2d, filters: 8 }, { units: 10, activation: softmax }] }', 'sweep:', '  model.layers.0.filters: [4, 8]', '  model.layers.1: [{ units: 10, activation: softmax }]', '  optimizer.name: [adam, sgd]', '  seed: [1, 2]'];
    expect(summary(await diagnose(`${spec.join('\n')}\n`))).toEqual([]);
  });

  it('completes the keys of the optimizer written, with their defaults', async () => {
    const file = join(folder, 'complete-optimizer.yaml');
    await client.diagnose(file, `${modeline}model: { preset: mlp-tutorial }\noptimizer:\n  name: adam\n  \n`);
    const labels = (await client.complete(file, 4, 2)).map((item) => item.label);
    expect(labels).toEqual(expect.arrayContaining(['learningRate', 'beta1', 'beta2', 'epsilon']));
    expect(labels).not.toContain('momentum');
  });

  it('completes the key paths a sweep may vary', async () => {
    const file = join(folder, 'complete-sweep.yaml');
    await client.diagnose(file, `${modeline}model: { preset: mlp-tutorial }\nsweep:\n  \n`);
    const labels = (await client.complete(file, 3, 2)).map((item) => item.label);
    expect(labels).toEqual(expect.arrayContaining(['optimizer.learningRate', 'batchSize', 'epochs', 'seed', 'model.initializer', 'data.trainLimit']));
  });

  it('shows a key\'s description on hover', async () => {
    const file = join(root, 'experiments/baseline.yaml');
    const lines = readFileSync(file, 'utf8').split('\n');
    await client.diagnose(file, lines.join('\n'));
    expect(await client.hover(file, lines.indexOf('batchSize: 15'), 2)).toContain('Training images per optimizer step.');
    const layer = lines.findIndex((line) => line.includes('{ units: 64'));
    expect(await client.hover(file, layer, lines[layer].indexOf('units') + 1)).toContain('Number of output units.');
  });
});
