/** Whether a value read from outside (JSON, YAML, Redis) is a plain object, not null, an array or a scalar. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
