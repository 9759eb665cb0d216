// Run by `npm run build` after TypeScript: writes the spec schema's validator as code (see spec-validator.ts).
// Every `nx run runner:<command>` builds first, so this must cost nothing when nothing changed: the schema
// lives in the packages' compiled code, and the file is written again only when some of it is newer.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const target = join(import.meta.dirname, 'spec-validator.generated.js');
const packages = resolve(import.meta.dirname, '../../..');

/** The newest modification time of the packages' compiled JavaScript (the schema's sources are among it). */
function newestCompiled(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js') && path !== target) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const name of readdirSync(packages)) {
    const dist = join(packages, name, 'dist');
    try {
      if (statSync(dist).isDirectory()) walk(dist);
    } catch {
      // A package without compiled code yet.
    }
  }
  return newest;
}

const written = (() => {
  try {
    return statSync(target).mtimeMs;
  } catch {
    return -1;
  }
})();
if (written < newestCompiled()) {
  const { writeFileSync } = await import('node:fs');
  const { specValidatorModule } = await import('./spec-validator.js');
  writeFileSync(target, await specValidatorModule());
}
