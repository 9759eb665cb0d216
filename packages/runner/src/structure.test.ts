import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, DEFAULT_DATASET } from '@specml/data';
import { SEARCH_METHOD_NAMES } from '@specml/search';
import { root } from './test-kit/test-cli.js';

describe('the shape of the code', () => {
  it('has no import cycle in any package, type imports included', async () => {
    const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name, 'src'));
    const graph = await madge(packages, { fileExtensions: ['ts'], tsConfig: join(root, 'tsconfig.base.json'), detectiveOptions: { ts: { skipTypeImports: false } } });
    expect(graph.circular()).toEqual([]);
  });

  it('keeps the runner\'s top level small, and the sweep blind to where its trials run', () => {
    const runner = join(root, 'packages/runner/src');
    expect(readdirSync(runner, { withFileTypes: true }).filter((entry) => entry.isFile()).length).toBeLessThanOrEqual(12);
    // Hydra's Launcher: the CLI injects the executor; sweep/ knows only its type.
    for (const file of readdirSync(join(runner, 'sweep')).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
      const imports = readFileSync(join(runner, 'sweep', file), 'utf8').match(/^import .* from '\.\.\/executors\/.*';$/gm) ?? [];
      expect(imports.filter((line) => !line.startsWith('import type ')), file).toEqual([]);
    }
  });

  it('lists dataset kinds and search methods in their registries only: the schema and every check read them', () => {
    const schema = JSON.parse(readFileSync(join(root, 'experiment.schema.json'), 'utf8'));
    expect(schema.properties.data.properties.dataset.enum).toEqual(DATASET_NAMES);
    expect(schema.properties.sweep.properties.method.enum).toEqual(SEARCH_METHOD_NAMES);
    // No other source file names one of them as a string (the benches name what they measure).
    const names = [...DATASET_NAMES.filter((name) => name !== DEFAULT_DATASET), ...SEARCH_METHOD_NAMES.filter((name) => name !== 'grid')];
    const registries = [join(root, 'packages/data/src/datasets'), join(root, 'packages/search/src/methods')];
    const offenders = sourceFiles()
      .filter((file) => !file.endsWith('.test.ts') && !basename(file).startsWith('bench'))
      .filter((file) => !registries.some((registry) => file.startsWith(registry)) && !file.includes('/test-kit/'))
      .flatMap((file) => names.filter((name) => new RegExp(`['"\`]${name}['"\`]`).test(readFileSync(file, 'utf8'))).map((name) => `${file}: ${name}`));
    expect(offenders).toEqual([]);
  });

  it('requires tfjs rather than importing it: an ES import of a CommonJS package parses its megabyte twice more', () => {
    // `import tf = require(…)` (TypeScript emits createRequire) took a fifth of a second off every command's start.
    const offenders = sourceFiles().filter((file) => /^import \* as \w+ from '@tensorflow\/tfjs-(core|layers)';$/m.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

/** Every TypeScript or JavaScript source of every package (the dashboard's page included), tests too. */
function sourceFiles(dir = join(root, 'packages')): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' || entry === 'dist' ? [] : sourceFiles(path);
    return /\.(ts|js)$/.test(entry) ? [path] : [];
  });
}
