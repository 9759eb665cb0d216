// The engine's C++ sources, for binding.gyp: every .cc file under native/, found rather than listed, so that
// a new layer or optimizer is one file in native/layers/ or native/optim/ (it registers itself).
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = dirname(dirname(fileURLToPath(import.meta.url)));

export function nativeSources() {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.cc') ? [join(dir, entry.name)] : []));
  return walk(join(packageRoot, 'native')).map((path) => relative(packageRoot, path)).sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(nativeSources().join(' '));
