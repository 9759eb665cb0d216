import { PRESET_KEYS } from '@specml/model-zoo';
import { experimentSpecSchema } from './spec-schema.js';

type Schema = Record<string, any>;

/**
 * experiment.schema.json: the spec schema as a person writes a spec, for editors. The runner validates a
 * spec after filling in defaults and expanding presets (experimentSpecSchema); an editor sees the file as
 * written. So this is derived from the runner's schema, never written by hand:
 * - a key with a default need not be written (a layer's `type` is dense unless it says otherwise);
 * - the keys a preset fills in are required only without `preset`;
 * - `discriminator` (an OpenAPI keyword ajv uses for its messages) is left out: editors tell the variants
 *   apart by their `const`;
 * - the grid shorthand `sweep:` lists the key paths a sweep may vary, for completion and to flag typos.
 */
export function publishedSpecSchema(): Schema {
  const written = asWritten(experimentSpecSchema);
  const sweep = written.properties.sweep;
  const keys = sweepKeysSchema(experimentSpecSchema);
  // The grid shorthand's key paths beside the full form's keys; the same key paths under parameters:,
  // each a list, { values } or a range.
  const parameter = {
    anyOf: [
      { type: 'array', minItems: 1, maxItems: 100 },
      { type: 'object', additionalProperties: false, required: ['values'], properties: { values: { type: 'array', minItems: 1, maxItems: 100, description: 'The values to try.' } } },
      {
        type: 'object',
        additionalProperties: false,
        required: ['min', 'max'],
        properties: {
          min: { type: 'number', description: 'The lowest value.' },
          max: { type: 'number', description: 'The highest value.' },
          distribution: { enum: ['uniform', 'logUniform', 'intUniform'], default: 'uniform', description: 'How values are drawn between min and max.' },
        },
      },
    ],
  };
  written.$defs = { sweepParameter: parameter };
  const listed = (schemas: Record<string, Schema>) =>
    Object.fromEntries(Object.entries(schemas).map(([key, value]) => [key, { $ref: '#/$defs/sweepParameter', description: value.description }]));
  sweep.properties = {
    ...sweep.properties,
    ...keys.properties,
    parameters: { ...sweep.properties.parameters, properties: listed(keys.properties), patternProperties: listed(keys.patternProperties), additionalProperties: false },
  };
  sweep.patternProperties = keys.patternProperties;
  sweep.additionalProperties = false;
  return written;
}

function asWritten(node: Schema): Schema {
  const { discriminator: _discriminator, ...copy } = node;
  if (copy.properties) {
    copy.properties = Object.fromEntries(Object.entries<Schema>(copy.properties).map(([key, child]) => [key, asWritten(child)]));
  }
  if (Array.isArray(copy.required)) {
    const properties: Schema = node.properties ?? {};
    const presetFilled = properties.preset ? copy.required.filter((key: string) => (PRESET_KEYS as readonly string[]).includes(key)) : [];
    copy.required = copy.required.filter((key: string) => properties[key]?.default === undefined && !presetFilled.includes(key));
    if (copy.required.length === 0) delete copy.required;
    if (presetFilled.length > 0) {
      copy.if = { not: { required: ['preset'] } };
      copy.then = { required: presetFilled };
    }
  }
  if (copy.items && typeof copy.items === 'object') copy.items = asWritten(copy.items);
  if (Array.isArray(copy.oneOf)) copy.oneOf = copy.oneOf.map(asWritten);
  if (copy.then && !copy.if?.not) copy.then = asWritten(copy.then);
  return copy;
}

/**
 * The key paths a sweep may vary, each with the schema of its values: every key of the spec at every depth
 * (a whole `optimizer:` mapping too), the variants' keys together, and a layer's keys by index.
 */
function sweepKeysSchema(schema: Schema): Schema {
  const found = new Map<string, Located[]>();
  const patternProperties: Record<string, Schema> = {};
  const visit = (node: Schema, prefix: string, pointer: string) => {
    const branches = [{ branch: node, at: pointer }, ...(node.oneOf ?? []).map((branch: Schema, index: number) => ({ branch, at: `${pointer}/oneOf/${index}` }))];
    for (const { branch, at } of branches) {
      for (const [key, child] of Object.entries<Schema>(branch.properties ?? {})) {
        const path = `${prefix}${key}`;
        const childAt = `${at}/properties/${key}`;
        if (path === 'sweep') continue;
        found.set(path, [...(found.get(path) ?? []), { schema: child, pointer: childAt }]);
        visit(child, `${path}.`, childAt);
        if (child.items) {
          const item = `^${escapeRegExp(path)}\\.\\d+`;
          const itemKeys = new Set([child.items, ...(child.items.oneOf ?? [])].flatMap((variant: Schema) => Object.keys(variant.properties ?? {})));
          patternProperties[`${item}$`] = valuesOf(`${path}.N`, [{ schema: child.items, pointer: `${childAt}/items` }]);
          patternProperties[`${item}\\.(${[...itemKeys].join('|')})$`] = { type: 'array', minItems: 1, maxItems: 100, description: `Values for a key of one of ${path}, one trial each.` };
        }
      }
    }
  };
  visit(schema, '', '#');
  const properties = Object.fromEntries([...found].map(([path, variants]) => [path, valuesOf(path, variants)]));
  return { properties, patternProperties, additionalProperties: false };
}

interface Located {
  readonly schema: Schema;
  /** Its place in the published schema, for a `$ref` instead of a copy. */
  readonly pointer: string;
}

/** A sweep entry: a list of values, each valid for the key (for any of its variants, where it has several). */
function valuesOf(path: string, variants: readonly Located[]): Schema {
  const distinct = new Map<string, Schema>();
  for (const { schema, pointer } of variants) {
    const { default: _default, description: _description, ...values } = asWritten(schema);
    if (!distinct.has(JSON.stringify(values))) distinct.set(JSON.stringify(values), { $ref: pointer });
  }
  const items = distinct.size === 1 ? [...distinct.values()][0] : { anyOf: [...distinct.values()] };
  const about = distinct.size === 1 && typeof variants[0].schema.description === 'string' ? ` ${variants[0].schema.description}` : '';
  return { type: 'array', minItems: 1, maxItems: 100, items, description: `Values for ${path}, one trial each.${about}` };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
