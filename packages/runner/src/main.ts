#!/usr/bin/env node
// The CLI's entry point: the bin, the Nx targets and the local trial pool run this file. cli.ts only
// defines the commands, so that tests (and other code) can import it without running anything.

// Node's 'exit' listeners before any command's (this file's top-level await has one): see exitAfterWork.
const nodesExitListeners = process.listeners('exit');
// Before anything else allocates: the process keeps the memory it frees and takes its heap in huge pages
// (a text run 0.08 s sooner, 46,500 page faults down to 33,400; called after the CLI's imports, 0.02 s).
(await import('@specml/trainer/native-addon')).keepFreedMemory();
// `exp` draws pictures: its chart thread starts before the rest of the CLI is loaded, so that Vega loads on
// the other core meanwhile (an iris run ~35 ms sooner, 10 runs alternated with starting it in runExp, which
// still does for callers of main()).
if (process.argv[2] === 'exp') (await import('@specml/reporter')).warmCharts();
const { main } = await import('./cli.js');
const { exitAfterWork } = await import('@specml/trainer');

await exitAfterWork(await main(process.argv.slice(2)), nodesExitListeners);
