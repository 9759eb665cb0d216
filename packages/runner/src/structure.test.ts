import { readdirSync } from 'node:fs';
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
});
