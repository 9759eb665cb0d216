import { adagrad } from './adagrad.js';
import { adam } from './adam.js';
import { momentum } from './momentum.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';

/**
 * Every optimizer. Adding one is a module beside this file and an entry here, plus its file in
 * native/optim/ for the native engine; the schema, error hints and docs follow from it.
 */
const KINDS = [adam, sgd, momentum, rmsprop, adagrad] as const;

type Kinds = typeof KINDS;
type NameOf<K> = K extends { schema: { properties: { name: { const: infer N } } } } ? N : never;
// Mapped over a type parameter, so tuples stay tuples (the schema needs `oneOf` as a tuple of literals).
type SchemasOf<T extends readonly unknown[]> = { readonly [I in keyof T]: T[I] extends { readonly schema: infer S } ? S : never };
type NamesOf<T extends readonly unknown[]> = { readonly [I in keyof T]: NameOf<T[I]> };

const plain = KINDS as readonly unknown[] as readonly { schema: { properties: { name: { const: string } } } }[];

/** The optimizers by their `name:`. */
export const OPTIMIZER_KINDS = Object.fromEntries(plain.map((kind) => [kind.schema.properties.name.const, kind])) as unknown as {
  [K in Kinds[number] as NameOf<K> & string]: K;
};

export const OPTIMIZER_NAMES = plain.map((kind) => kind.schema.properties.name.const) as unknown as NamesOf<Kinds>;

/** The schema's list of optimizer variants, in the registry's order. */
export const optimizerVariants = plain.map((kind) => kind.schema) as unknown as SchemasOf<Kinds>;
