import { batchNormalization } from './batch-normalization.js';
import { conv1d } from './conv1d.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { flatten } from './flatten.js';
import { globalAveragePooling1d } from './global-average-pooling1d.js';
import { globalMaxPooling1d } from './global-max-pooling1d.js';
import { averagePooling2d } from './average-pooling2d.js';
import { maxPooling2d } from './max-pooling2d.js';

/**
 * Every layer kind. Adding a kind is a module beside this file and an entry here (and, for the native
 * engine, a file in packages/trainer/native/layers/); the schema, shapes, initial weights and tfjs model
 * follow from it.
 */
const KINDS = [dense, conv2d, maxPooling2d, averagePooling2d, flatten, dropout, batchNormalization, embedding, conv1d, globalAveragePooling1d, globalMaxPooling1d] as const;

type Kinds = typeof KINDS;
type TypeOf<K> = K extends { schema: { properties: { type: { const: infer T } } } } ? T : never;
// Mapped over a type parameter, so tuples stay tuples (the schema needs `oneOf` as a tuple of literals).
type TypesOf<T extends readonly unknown[]> = { readonly [I in keyof T]: TypeOf<T[I]> };
type SchemasOf<T extends readonly unknown[]> = { readonly [I in keyof T]: T[I] extends { readonly schema: infer S } ? S : never };

// The kinds' types are deep (each carries its schema); the runtime lists below are built from a plain view.
const plain = KINDS as readonly unknown[] as readonly { schema: { properties: { type: { const: string } } } }[];

/** The kinds by their `type:`. */
export const LAYER_KINDS = Object.fromEntries(plain.map((kind) => [kind.schema.properties.type.const, kind])) as unknown as {
  [K in Kinds[number] as TypeOf<K> & string]: K;
};

export const LAYER_TYPES = plain.map((kind) => kind.schema.properties.type.const) as unknown as TypesOf<Kinds>;

/** The schema's list of layer variants, in the registry's order. */
export const layerVariants = plain.map((kind) => kind.schema) as unknown as SchemasOf<Kinds>;
