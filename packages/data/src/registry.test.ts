import { describe, expect, it } from 'vitest';
import { registryOf } from './registry.js';

const kind = <const N extends string>(name: N, extra: number) => ({ schema: { type: 'object', properties: { name: { const: name }, rate: { default: extra } } }, extra });

describe('registryOf', () => {
  it('derives the kinds by name, their names and schemas in order from the kinds alone', () => {
    const slow = kind('slow', 1);
    const fast = kind('fast', 2);
    const registry = registryOf([slow, fast], 'name');
    expect(registry.names).toEqual(['slow', 'fast']);
    expect(registry.byName.fast).toBe(fast);
    expect(registry.byName.slow.extra).toBe(1);
    expect(registry.schemas).toEqual([slow.schema, fast.schema]);
    // Typed from the kinds: a name that is not registered is a compile error, and names is a tuple of literals.
    const names: readonly ['slow', 'fast'] = registry.names;
    expect(names).toHaveLength(2);
  });

  it('refuses two kinds of one name', () => {
    expect(() => registryOf([kind('same', 1), kind('same', 2)], 'name')).toThrow('two kinds are named same');
  });

  it('names a kind that is one value of a property by its schema\'s constant', () => {
    const relu = { schema: { const: 'relu', description: 'max(0, x)' }, slope: 1 } as const;
    const tanh = { schema: { const: 'tanh', description: 'tanh x' }, slope: 2 } as const;
    const registry = registryOf([relu, tanh]);
    const names: readonly ['relu', 'tanh'] = registry.names;
    expect(names).toEqual(['relu', 'tanh']);
    expect(registry.byName.tanh.slope).toBe(2);
    expect(() => registryOf([relu, relu])).toThrow('two kinds are named relu');
  });
});
