import { spawnSync } from 'node:child_process';

/**
 * Debian's python3-sklearn, the yardstick for tables (logistic and linear regression on the same split). CI
 * installs it and sets SPECML_REQUIRE_SKLEARN, so there the yardsticks run, never skip; elsewhere they are
 * skipped with a note.
 */
export const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
if (!hasSklearn && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-sklearn is not installed, and SPECML_REQUIRE_SKLEARN says the yardsticks must run (apt-get install python3-sklearn)');
if (!hasSklearn) console.warn('note: python3-sklearn is not installed: the scikit-learn yardsticks are skipped (apt-get install python3-sklearn)');

/**
 * R with Debian's real data packages (r-cran-modeldata): public tables exported as people export them
 * (`write.csv`: `NA` cells, quoted factors). CI installs them and sets SPECML_REQUIRE_R; elsewhere the tests
 * that read them are skipped with a note.
 */
export const hasRData = spawnSync('Rscript', ['-e', 'library(modeldata)'], { encoding: 'utf8' }).status === 0;
if (!hasRData && process.env.SPECML_REQUIRE_R) throw new Error('R with r-cran-modeldata is not installed, and SPECML_REQUIRE_R says the real-table tests must run (apt-get install r-base-core r-cran-modeldata)');
if (!hasRData) console.warn('note: R with r-cran-modeldata is not installed: the tests on its real tables are skipped (apt-get install r-base-core r-cran-modeldata)');

/** Runs an R script; throws with its output if it fails. */
export function runR(script: string): void {
  const result = spawnSync('Rscript', ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`Rscript failed (${result.status}):\n${result.stderr}`);
}

/** Runs a Python script with Debian's python3 (scikit-learn's yardsticks) and returns what it printed as JSON. */
export function pythonJson(script: string, args: readonly string[] = []): unknown {
  const result = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout);
}
