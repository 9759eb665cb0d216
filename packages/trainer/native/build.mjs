// Builds the optional native engine. At install time (`npm ci`) it is compiled on the machine that runs it,
// so -march=native picks AVX2/FMA/AVX-512 where the CPU has them, and a failed build never fails the
// install: training then runs on tfjs (`backend: native` is reported as unavailable, `auto` says why).
// With --strict (the `trainer:native` Nx target that `npm test` runs first) it rebuilds what changed since
// the last build and fails loudly, so tests never run a stale or missing engine.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSources } from './sources.mjs';

const strict = process.argv.includes('--strict');
if (process.env.SPECML_SKIP_NATIVE === '1' && !strict) {
  console.log('specml: SPECML_SKIP_NATIVE=1, not building the native engine');
  process.exit(0);
}
const packageRoot = dirname(dirname(fileURLToPath(import.meta.url)));
// An incremental build (make's own dependency tracking, headers included) once configured with the same
// source files and binding.gyp; else (a first build, a file added or removed, flags changed) configured
// again from scratch.
const sources = `${nativeSources().join('\n')}\n${readFileSync(join(packageRoot, 'binding.gyp'), 'utf8')}`;
const sourcesFile = join(packageRoot, 'build/sources.txt');
const sameSources = existsSync(sourcesFile) && readFileSync(sourcesFile, 'utf8') === sources;
const verb = strict && sameSources && existsSync(join(packageRoot, 'build/Makefile')) ? 'build' : 'rebuild';
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, verb]] : ['node-gyp', [verb]];
const result = spawnSync(command, [...args, '-j', 'max'], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status === 0) {
  writeFileSync(sourcesFile, sources);
  console.log(`specml: ${verb === 'build' ? 'the native engine is up to date' : 'built the native engine'}`);
} else {
  const reason = result.error ? result.error.message : (result.stderr || result.stdout).trim().split('\n').slice(-12).join('\n');
  if (strict) {
    console.error(`specml: the native engine does not build:\n${reason}`);
    process.exit(1);
  }
  console.warn(`specml: could not build the optional native engine; training will use tfjs.\n${reason}`);
}
