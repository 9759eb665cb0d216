import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from './load-spec.js';
import { SpecError } from './user-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'specml-fuzz-'));
const file = join(dir, 'fuzz.yaml');
const baseline = parse(readFileSync(resolve(import.meta.dirname, '../../../../experiments/baseline.yaml'), 'utf8'));

/** One located problem: `where: key.path: message`, where is file:line:col, the file, or a --set. */
const KEY = String.raw`(\[\d+\]|\["(?:[^"\\]|\\.)*"\])`;
const KEY_PATH = String.raw`\(root\)|([A-Za-z_$][\w$]*|${KEY})(\.[A-Za-z_$][\w$]*|${KEY})*`;
const LOCATED = new RegExp(String.raw`^(\S+:\d+:\d+|\S+\.yaml|--set (\S+|"(?:[^"\\]|\\.)*")): (${KEY_PATH}): \S.*$`);

/** The property every input must satisfy: a valid spec, or a SpecError whose every line is located. */
function loadsOrExplains(content: string | Uint8Array, overrides: string[] = []): void {
  writeFileSync(file, content);
  try {
    loadSpec(file, overrides);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error; // anything else would reach the user as a crash
    for (const line of [error.message, ...error.details]) {
      expect(line).toMatch(LOCATED);
      expect(line).not.toContain('\n');
    }
  }
}

/** Every key path of a plain object tree. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return [prefix, ...children.flatMap((key) => paths((value as Record<string | number, unknown>)[key], [...prefix, key]))];
}

function mutate(tree: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(tree) as Record<string | number, unknown>;
  if (path.length === 0) return replacement;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  if (remove) delete parent[path.at(-1)!];
  else parent[path.at(-1)!] = replacement;
  return copy;
}

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(0, -1, 1e308, -1e-320, 2 ** 53 + 1, '', 'relu', 'adam', '1e-3', 'true', null, [], {}),
);

describe('spec loading never crashes', () => {
  // Nothing may reach the user outside the located errors: no Node warnings from the YAML library either.
  const warnings: string[] = [];
  const onWarning = (warning: Error) => void warnings.push(warning.message);
  beforeAll(() => void process.on('warning', onWarning));
  afterAll(() => {
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
  });

  it('on the baseline with one value replaced or removed anywhere', () => {
    const allPaths = paths(baseline);
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), anyValue, fc.boolean(), (path, replacement, remove) => {
        loadsOrExplains(stringify(mutate(baseline, path, replacement, remove)));
      }),
      // Found by this test: a mapping whose toString is no function, where a name was expected.
      { numRuns: 300, examples: [[['model', 'layers', 0, 'activation'], { toString: false }, false]] },
    );
  });

  it('on arbitrary YAML documents', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => loadsOrExplains(stringify(value))), { numRuns: 200 });
  });

  it('on arbitrary text and bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => loadsOrExplains(text)), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => loadsOrExplains(bytes)), { numRuns: 200 });
  });

  it('on the baseline text with characters deleted, duplicated or inserted', () => {
    const text = readFileSync(resolve(import.meta.dirname, '../../../../experiments/baseline.yaml'), 'utf8');
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.nat(8), fc.constantFrom('', ' ', '\t', ':', '-', '\n', '{', '[', '&a', '*a', '!!', '"', "'", '#'), (at, length, insert) => {
        loadsOrExplains(text.slice(0, at) + insert + text.slice(at + length));
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary --set overrides', () => {
    const overrides = fc.array(fc.tuple(fc.constantFrom('epochs', 'optimizer.name', 'model.layers.0.units', 'data', 'a.b.c', 'batchSize', ''), fc.string({ maxLength: 12 })), { maxLength: 3 });
    fc.assert(
      fc.property(overrides, (pairs) => loadsOrExplains(stringify(baseline), pairs.map(([key, value]) => `${key}=${value}`))),
      { numRuns: 200 },
    );
  });
});
