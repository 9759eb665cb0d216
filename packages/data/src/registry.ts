// The one way a kind of thing (a layer, an optimizer, an activation, …) is registered: a list of modules, each
// naming itself by a constant in its schema (a layer's `type:`, an optimizer's `name:`; an activation, one
// value of a layer's `activation:`, is that constant itself). Everything else — the kinds by
// name, the list of names, the schema's variants in order — is derived, typed from the modules themselves,
// so that adding a kind is its module and one entry in the list, and no caller needs a cast.

/** A kind whose schema names it by a constant under `Key`. */
export type NamedKind<Key extends string> = { readonly schema: { readonly properties: { readonly [P in Key]: { readonly const: string } } } };

/** A kind that is one value of a spec property (an activation): its schema is that value, `{ const: name }`. */
export type ValueKind = { readonly schema: { readonly const: string } };

type NameOf<K, Key extends string> = [Key] extends [never]
  ? K extends { readonly schema: { readonly const: infer N } } ? N : never
  : K extends { readonly schema: { readonly properties: { readonly [P in Key]: { readonly const: infer N } } } } ? N : never;
// Mapped over a type parameter, so tuples stay tuples (a schema's `oneOf` needs a tuple of literals).
type NamesOf<T extends readonly unknown[], Key extends string> = { readonly [I in keyof T]: NameOf<T[I], Key> };
type SchemasOf<T extends readonly unknown[]> = { readonly [I in keyof T]: T[I] extends { readonly schema: infer S } ? S : never };

export interface Registry<Kinds extends readonly unknown[], Key extends string> {
  /** The kinds by their name. */
  readonly byName: { readonly [K in Kinds[number] as NameOf<K, Key> & string]: K };
  /** Their names, in the registry's order. */
  readonly names: NamesOf<Kinds, Key>;
  /** Their schemas, in the registry's order (a spec schema's `oneOf`). */
  readonly schemas: SchemasOf<Kinds>;
}

/** The registry of `kinds`, each named by `schema.const`; two kinds of one name are a programming error. */
export function registryOf<const Kinds extends readonly ValueKind[]>(kinds: Kinds): Registry<Kinds, never>;
/** The registry of `kinds`, each named by `schema.properties[key].const`; two kinds of one name are a programming error. */
export function registryOf<const Kinds extends readonly NamedKind<Key>[], Key extends string>(kinds: Kinds, key: Key): Registry<Kinds, Key>;
export function registryOf(kinds: readonly (ValueKind | NamedKind<string>)[], key?: string): Registry<readonly unknown[], string> {
  const names = kinds.map((kind) => ('const' in kind.schema ? kind.schema.const : kind.schema.properties[key!].const));
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new Error(`two kinds are named ${repeated}`);
  // The derived types above describe exactly these three values; TypeScript cannot follow a map over a tuple.
  return { byName: Object.fromEntries(kinds.map((kind, index) => [names[index], kind])), names, schemas: kinds.map((kind) => kind.schema) } as unknown as Registry<readonly unknown[], string>;
}
