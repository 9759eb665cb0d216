import { UserError } from '@specml/data';

/** A position in a spec file (1-based), or the command-line override that set the value. */
export type SpecLocation = { file: string; line: number; column: number } | { override: string } | { file: string };

export interface SpecProblem {
  readonly location: SpecLocation;
  /** The key path, e.g. ['model', 'layers', 0, 'units']; empty for the whole document. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/** `model.layers[0].units`; keys that are not plain names are quoted, `data["my key"]`; `(root)` for the document. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      if (!PLAIN_KEY.test(key)) return `[${JSON.stringify(key)}]`;
      return index === 0 ? key : `.${key}`;
    })
    .join('');
}

function formatLocation(location: SpecLocation): string {
  if ('override' in location) return `--set ${/^\S+$/.test(location.override) ? location.override : JSON.stringify(location.override)}`;
  if ('line' in location) return `${location.file}:${location.line}:${location.column}`;
  return location.file;
}

/** The one formatter for spec problems: `file:line:col: key.path: message (hint)`. */
export function formatProblem(problem: SpecProblem): string {
  const hint = problem.hint ? ` (${problem.hint})` : '';
  return `${formatLocation(problem.location)}: ${formatKeyPath(problem.path)}: ${problem.message}${hint}`;
}

/** All problems of a spec at once: the CLI prints each on its own line and exits 2. */
export class SpecError extends UserError {
  constructor(readonly problems: readonly SpecProblem[]) {
    const lines = problems.map(formatProblem);
    super(lines[0], lines.slice(1));
  }
}
