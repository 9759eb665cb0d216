import { stringify } from 'csv-stringify/sync';

/**
 * A cell a spreadsheet would run as a formula (OWASP's CSV injection): text beginning with `=`, `+`, `@`, a
 * tab or a carriage return, or `-` when it is not a number. Class names, categories and swept values come
 * from the user's files, so every CSV this project writes goes through csvText.
 */
const FORMULA_START = /^[=+@\t\r]/;
const looksLikeFormula = (text: string) => FORMULA_START.test(text) || (text.startsWith('-') && !Number.isFinite(Number(text)));

/** Rows as CSV text, with a leading `'` on any text cell a spreadsheet would take for a formula (numbers stay numbers). */
export function csvText(rows: readonly (readonly unknown[])[]): string {
  return stringify(rows as unknown[][], { cast: { string: (text) => (looksLikeFormula(text) ? `'${text}` : text) } });
}
