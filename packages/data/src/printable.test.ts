import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { printable, shellQuoted } from './printable.js';

describe('names printed on the console and hints pasted into a shell', () => {
  it('shows control characters of a name as escapes, so a class name cannot clear the screen or set the title', () => {
    expect(printable('\u001b]0;pwned\u0007cat\u001b[2J')).toBe('\\x1b]0;pwned\\x07cat\\x1b[2J');
    expect(printable('line\rover\u009b')).toBe('line\\x0dover\\x9b');
    expect(printable('café 猫 🐈')).toBe('café 猫 🐈');
  });

  it('quotes an argument so that a POSIX shell gives back exactly its text and runs nothing', () => {
    const hostile = ['data.target="$(touch /tmp/specml-pwned)"', "it's `id`", 'a b\tc', 'plain.key=0.01', '', '$HOME;!x'];
    for (const argument of hostile) {
      const echoed = spawnSync('sh', ['-c', `printf '%s' ${shellQuoted(argument)}`], { encoding: 'utf8' });
      expect(echoed.stdout).toBe(argument);
    }
    expect(shellQuoted('optimizer.learningRate=0.01')).toBe('optimizer.learningRate=0.01');
  });
});
