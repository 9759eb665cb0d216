import { spawnSync } from 'node:child_process';

/**
 * Debian's python3-sklearn, the yardstick for tables (logistic and linear regression on the same split). CI
 * installs it and sets SPECML_REQUIRE_SKLEARN, so there the yardsticks run, never skip; elsewhere they are
 * skipped with a note.
 */
export const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
if (!hasSklearn && process.env.SPECML_REQUIRE_SKLEARN) throw new Error('python3-sklearn is not installed, and SPECML_REQUIRE_SKLEARN says the yardsticks must run (apt-get install python3-sklearn)');
if (!hasSklearn) console.warn('note: python3-sklearn is not installed: the scikit-learn yardsticks are skipped (apt-get install python3-sklearn)');
