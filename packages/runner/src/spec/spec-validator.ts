import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { experimentSpecSchema } from './spec-schema.js';

// Compiling the spec schema took a fifth of a second at every command's start (ajv checks the schema
// against its meta-schema, then generates code). The build writes that code once, beside this module
// (spec-validator.generated.js, tagged with the schema's digest); a command loads it in a few
// milliseconds, and compiles as before where it is missing or made from another schema (the tests,
// which run the sources; a tree built without the step). Ajv itself (84 files) loads only then.

const OPTIONS = { allErrors: true, useDefaults: true, discriminator: true, verbose: true, strict: true, strictRequired: false } as const;
const GENERATED = './spec-validator.generated.js';

/** The SHA-256 of the schema the validator checks against. */
export const schemaDigest = () => createHash('sha256').update(JSON.stringify(experimentSpecSchema)).digest('hex');

/** The validator, compiled now. */
export async function compileSpecValidator(): Promise<ValidateFunction> {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  return new Ajv2020(OPTIONS).compile(experimentSpecSchema);
}

/** The validator's code as an ES module (ajv's standalone code), exporting it and the digest of its schema. */
export async function specValidatorModule(): Promise<string> {
  const [{ Ajv2020 }, { default: standalone }] = await Promise.all([import('ajv/dist/2020.js'), import('ajv/dist/standalone/index.js')]);
  const ajv = new Ajv2020({ ...OPTIONS, code: { source: true, esm: true } });
  const code = standalone.default(ajv, ajv.compile(experimentSpecSchema));
  // The generated code requires ajv's small runtime helpers; an ES module has no `require` of its own.
  return `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const digest = ${JSON.stringify(schemaDigest())};\n${code}\n`;
}

/** The validator written by the build, if it is there and made from this schema; else one compiled now. */
export async function specValidator(): Promise<ValidateFunction> {
  try {
    const generated = (await import(GENERATED)) as { digest: string; default: ValidateFunction };
    if (generated.digest === schemaDigest()) return generated.default;
  } catch {
    // Not built (the sources run under the tests): compile.
  }
  return compileSpecValidator();
}
