#!/usr/bin/env node
// The npm bin: committed, so npm links it at install time, before `npm run build` has made dist/.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('specml is not built yet: run `npm run build` in the repository root first\n');
  process.exit(1);
}
await import(cli.href);
