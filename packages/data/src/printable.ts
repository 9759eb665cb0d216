/**
 * A name from the user's files (a class folder, a CSV category or column) as the console may print it:
 * control characters (escape sequences that clear the screen or set the title, bells, carriage returns)
 * shown as `\x1b`-style escapes instead of being sent to the terminal.
 */
export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A command-line argument as a person can paste it into a POSIX shell: plain words as they are, anything else
 * inside single quotes, where `$(…)`, backticks and `"` mean nothing (a `'` itself written as `'\''`).
 */
export function shellQuoted(argument: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", "'\\''")}'`;
}
