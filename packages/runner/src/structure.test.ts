import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';
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
});
