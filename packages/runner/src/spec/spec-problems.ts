import type { ErrorObject } from 'ajv';
import { nearestName } from '@specml/data';
import { OPTIMIZER_NAMES } from '@specml/trainer';

export interface SchemaProblem {
  /** Where the offending value is; for unknown keys, the key itself. */
  readonly path: (string | number)[];
  /** Whether `path` names a key to point at (unknown keys) rather than a value. */
  readonly atKey: boolean;
  readonly message: string;
  readonly hint?: string;
}

/** Turns ajv's errors into one plain-English problem each, dropping the noise of combinators. */
export function describeSchemaErrors(errors: readonly ErrorObject[], data: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const problem = describe(error, data);
    if (!problem) continue;
    const key = `${problem.path.join('/')}|${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/** A value as text to find the nearest allowed name to: only a scalar has one (an object's own toString may be anything, or not a function). */
const textOf = (value: unknown) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '');

/** What one schema error is about: where, the value found there, the keyword's parameters and the schema that failed. */
interface SchemaFailure {
  readonly path: (string | number)[];
  readonly value: unknown;
  readonly params: Record<string, any>;
  readonly schema: Record<string, any> | undefined;
  readonly error: ErrorObject;
}

const bound = ({ path, value, params, error }: SchemaFailure): SchemaProblem => {
  const operator = ({ minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' } as Record<string, string>)[error.keyword];
  return { path, atKey: false, message: `must be ${operator} ${params.limit}, got ${describeValue(value)}`, hint: rangeHint(path) };
};

/** One sentence per schema keyword; `if` says nothing (its `then` branch reports the real problem). */
const DESCRIBERS: Record<string, (failure: SchemaFailure) => SchemaProblem | undefined> = {
  if: () => undefined,
  additionalProperties: ({ path, params, schema }) => {
    const key = String(params.additionalProperty);
    return { path: [...path, key], atKey: true, message: `unknown key ${JSON.stringify(key)}`, hint: suggestion(key, Object.keys(schema?.properties ?? {}), 'allowed keys') };
  },
  required: ({ path, params }) => {
    const key = String(params.missingProperty);
    return { path, atKey: false, message: `missing required key ${JSON.stringify(key)}`, hint: requiredHint(path, key) };
  },
  type: ({ path, value, params }) => ({ path, atKey: false, message: `expected ${article(String(params.type))}, got ${describeValue(value)}`, hint: typeHint(String(params.type), value) }),
  enum: ({ path, value, params }) => {
    const allowed = (params.allowedValues as unknown[]).map(String);
    return { path, atKey: false, message: `must be one of ${allowed.join(', ')}; got ${describeValue(value)}`, hint: suggestion(textOf(value), allowed) };
  },
  const: ({ path, value, params }) => ({ path, atKey: false, message: `must be ${JSON.stringify(params.allowedValue)}; got ${describeValue(value)}` }),
  discriminator: ({ path, value, params, schema }) => {
    const tag = String(params.tag);
    const options = ((schema?.oneOf ?? []) as Array<{ properties: Record<string, { const: string }> }>).map((branch) => branch.properties[tag].const);
    if (params.error === 'tag' && value !== null && typeof value === 'object' && !(tag in value)) {
      return { path, atKey: false, message: `missing required key "${tag}"`, hint: `one of ${options.join(', ')}` };
    }
    const tagValue = (value as Record<string, unknown>)?.[tag];
    return { path: [...path, tag], atKey: false, message: `must be one of ${options.join(', ')}; got ${describeValue(tagValue)}`, hint: suggestion(textOf(tagValue), options) };
  },
  minimum: bound,
  maximum: bound,
  exclusiveMinimum: bound,
  exclusiveMaximum: bound,
  minItems: ({ path, value, params }) => ({ path, atKey: false, message: `needs at least ${params.limit} item${params.limit === 1 ? '' : 's'}, got ${(value as unknown[]).length}` }),
  maxItems: ({ path, value, params }) => ({ path, atKey: false, message: `allows at most ${params.limit} items, got ${(value as unknown[]).length}` }),
  minLength: ({ path }) => ({ path, atKey: false, message: 'must not be empty' }),
  maxLength: ({ path, params }) => ({ path, atKey: false, message: `must be at most ${params.limit} characters long` }),
  pattern: ({ path, value, params }) => ({
    path,
    atKey: false,
    message: `${describeValue(value)} is not allowed here`,
    hint: path.at(-1) === 'name' ? 'use letters, digits, ".", "_" and "-", starting with a letter or digit' : `must match ${params.pattern}`,
  }),
};

function describe(error: ErrorObject, data: unknown): SchemaProblem | undefined {
  const path = parsePointer(error.instancePath);
  const failure: SchemaFailure = { path, value: valueAt(data, path), params: error.params as Record<string, any>, schema: error.parentSchema as Record<string, any> | undefined, error };
  const describer = Object.hasOwn(DESCRIBERS, error.keyword) ? DESCRIBERS[error.keyword] : undefined;
  return describer ? describer(failure) : { path, atKey: false, message: error.message ?? error.keyword };
}

function parsePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let current = data;
  for (const key of path) current = (current as Record<string | number, unknown> | undefined)?.[key];
  return current;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping (key: value lines)',
    array: 'a list',
    integer: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
  };
  return names[type] ?? type;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value < 0 ? '-' : ''}a number too large to represent`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return String(value);
}

function typeHint(expected: string, value: unknown): string | undefined {
  if ((expected === 'number' || expected === 'integer') && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) {
    return 'write the number without quotes';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'write a number within the allowed range';
  if (expected === 'integer' && typeof value === 'number') return `use a whole number, e.g. ${Math.max(1, Math.round(value))}`;
  if (expected === 'boolean' && typeof value === 'string') return 'write true or false without quotes';
  if (expected === 'object' && Array.isArray(value)) return 'remove the leading "- " to make it a mapping';
  if (expected === 'array' && value !== null && typeof value === 'object') return 'start each item with "- "';
  if (expected === 'object' && (value === null || value === undefined)) return 'indent its keys under it';
  return undefined;
}

function rangeHint(path: readonly (string | number)[]): string | undefined {
  const key = path.at(-1);
  if (key === 'learningRate') return 'try 0.001';
  if (key === 'batchSize') return 'try 32';
  return undefined;
}

function requiredHint(path: readonly (string | number)[], key: string): string | undefined {
  if (path.length === 0 && key === 'model') return 'e.g. model: { layers: [{ units: 64, activation: relu }, { units: 10, activation: softmax }] }';
  if (key === 'units') return 'e.g. { units: 64, activation: relu }';
  if (key === 'path') return 'where the data is: a folder for idx and imageFolder, a file for csv';
  if (key === 'name' && path.at(-1) === 'optimizer') return `one of ${OPTIMIZER_NAMES.join(', ')}`;
  return undefined;
}

/** "did you mean …?" for near misses, else the list of what is allowed. */
export function suggestion(given: string, allowed: readonly string[], label = 'allowed'): string | undefined {
  if (allowed.length === 0) return undefined;
  const near = nearestName(given, allowed);
  return near === undefined ? `${label}: ${allowed.join(', ')}` : `did you mean "${near}"?`;
}
