import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedSpecSchema } from './published-schema.js';
import { experimentSpecSchema } from './spec-schema.js';
import { withSpecReference } from './spec-reference.js';

const root = resolve(import.meta.dirname, '../../../..');

describe('experiment.schema.json', () => {
  it('is derived from the schema the runner validates with (regenerate with `npx nx run runner:schema`)', () => {
    const published = JSON.parse(readFileSync(join(root, 'experiment.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(publishedSpecSchema())));
  });

  it('is documented key by key in README.md (regenerate with `npx nx run runner:schema`)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(withSpecReference(readme, experimentSpecSchema)).toBe(readme);
    expect(readme).toContain('| `optimizer.beta2 (adam)` | number (≥ 0, < 1) | `0.999` |');
  });

  it('documents every key', () => {
    const undocumented: string[] = [];
    const visit = (schema: Record<string, any>, path: string) => {
      for (const [key, child] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
        if (!child.description) undocumented.push(`${path}${key}`);
        visit(child, `${path}${key}.`);
        if (child.items) visit(child.items, `${path}${key}[].`);
        for (const branch of child.oneOf ?? []) visit(branch, `${path}${key}.`);
        for (const branch of child.items?.oneOf ?? []) visit(branch, `${path}${key}[].`);
      }
    };
    visit(experimentSpecSchema, '');
    expect(undocumented).toEqual([]);
  });
});
