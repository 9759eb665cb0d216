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

/** Debian's python3-onnx, whose checker every export must pass. CI sets SPECML_REQUIRE_ONNX_CHECKER, so there it runs, never skips. */
export const hasOnnxChecker = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
if (!hasOnnxChecker && process.env.SPECML_REQUIRE_ONNX_CHECKER) throw new Error('python3-onnx is not installed, and SPECML_REQUIRE_ONNX_CHECKER says the checker must run (apt-get install python3-onnx)');
if (!hasOnnxChecker) console.warn('note: python3-onnx is not installed: the ONNX checker part of the export tests is skipped (apt-get install python3-onnx)');

/** onnx.checker.check_model(full_check=True) on a file: its metadata keys when it passes; throws with the checker's words when not. */
export function checkOnnx(file: string): string[] {
  return pythonJson('import json, onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(json.dumps([p.key for p in m.metadata_props]))', [file]) as string[];
}
