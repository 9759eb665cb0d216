#!/usr/bin/env node
// The CLI's entry point: the bin, the Nx targets and the local trial pool run this file. cli.ts only
// defines the commands, so that tests (and other code) can import it without running anything.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
