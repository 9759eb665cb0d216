import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSpecValidator, schemaDigest } from './spec-validator.js';

const root = resolve(import.meta.dirname, '../../../..');

describe('the spec validator the build writes (ajv\'s standalone code)', () => {
  it('is made from the current schema and judges every example, and broken ones, as the compiled validator does', async () => {
    // `npm test` builds first; the commands load this file instead of compiling the schema.
    const generated = (await import(join(root, 'packages/runner/dist/spec/spec-validator.generated.js'))) as { digest: string; default: (data: unknown) => boolean & { errors?: unknown } };
    expect(generated.digest).toBe(schemaDigest());
    const compiled = await compileSpecValidator();
    const examples = readdirSync(join(root, 'experiments')).filter((file) => file.endsWith('.yaml')).map((file) => parse(readFileSync(join(root, 'experiments', file), 'utf8')));
    const broken = [{}, { model: { layers: [{ units: 0 }] } }, { model: { layers: [{ type: 'Dense', units: 3 }] }, optimizer: { name: 'adamw' } }, { data: { dataset: 'csv', columns: { x: { type: 'txt' } } }, model: { layers: [] } }, 'text'];
    for (const spec of [...examples, ...broken]) {
      const [mine, theirs] = [structuredClone(spec), structuredClone(spec)];
      const verdict = generated.default(mine);
      expect(verdict).toBe(compiled(theirs));
      // The same defaults filled in, the same errors (with their schemas, for the messages).
      expect(mine).toEqual(theirs);
      expect(JSON.parse(JSON.stringify((generated.default as { errors?: unknown }).errors ?? null))).toEqual(JSON.parse(JSON.stringify(compiled.errors ?? null)));
    }
    expect(examples.length).toBeGreaterThan(5);
  });
});
