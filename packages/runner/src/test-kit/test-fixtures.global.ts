import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** A digit classifier good enough for drawn digits: 30000 images, one 128-unit layer, 3 epochs (digitsRun()). */
const DIGITS_SPEC = 'name: digits\ndata: { trainLimit: 30000 }\nmodel:\n  layers:\n    - { units: 128, activation: relu }\n    - { units: 10, activation: softmax }\nbatchSize: 32\nepochs: 3\n';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the shared fixtures of this test run live (see digitsRun() in test-cli.ts). */
    fixturesDir: string;
  }
}

/**
 * Vitest's global setup: a folder for the fixtures test files share, with the spec of the shared digits
 * run in it, removed at the end. Nothing is trained here: the first test file that needs the run trains it
 * (digitsRun()), so a test run that does not need it never pays for it.
 */
export default function setup(project: TestProject) {
  const folder = mkdtempSync(join(tmpdir(), 'specml-fixtures-'));
  writeFileSync(join(folder, 'digits.yaml'), DIGITS_SPEC);
  project.provide('fixturesDir', folder);
  // Decoded datasets are cached here, not in the user's ~/.cache/specml (the test processes inherit it).
  process.env.SPECML_CACHE_DIR = join(folder, 'dataset-cache');
  return () => rmSync(folder, { recursive: true, force: true });
}
