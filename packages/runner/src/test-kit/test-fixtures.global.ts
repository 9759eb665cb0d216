import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

/** A digit classifier good enough for drawn digits: 30000 images, one 128-unit layer, 3 epochs. */
const DIGITS_SPEC = 'name: digits\ndata: { trainLimit: 30000 }\nmodel:\n  layers:\n    - { units: 128, activation: relu }\n    - { units: 10, activation: softmax }\nbatchSize: 32\nepochs: 3\n';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A completed run folder of DIGITS_SPEC, trained once for the whole test run (predict, serve). */
    digitsRun: string;
  }
}

/** Vitest's global setup: trains the shared run once before any test file, and removes it at the end. */
export default function setup(project: TestProject) {
  const root = resolve(import.meta.dirname, '../../../..');
  const folder = mkdtempSync(join(tmpdir(), 'specml-fixtures-'));
  const spec = join(folder, 'digits.yaml');
  writeFileSync(spec, DIGITS_SPEC);
  const run = spawnSync(process.execPath, [join(root, 'packages/runner/dist/main.js'), 'exp', spec, '--runs-dir', join(folder, 'runs')], {
    cwd: root,
    env: { ...process.env, CI: 'true', INIT_CWD: '' },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the shared digits run did not train (exit ${run.status}):\n${run.stderr}`);
  project.provide('digitsRun', run.stdout.trim().split('\n').at(-1)!);
  return () => rmSync(folder, { recursive: true, force: true });
}
