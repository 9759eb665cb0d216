import { loadNativeAddon } from './native-addon.js';

/**
 * Ends the CLI's process with `code` once a command's work is done and written. Node's own exit disposes
 * the V8 heaps, the chart thread's too: about 0.1 s of unmapping memory after a one-second run, which the
 * system frees anyway when the process ends. Where the native engine is built, the process ends as soon as
 * stdout and stderr have taken what was written to them (a pipe takes it as its reader reads); where
 * something still waits for Node's 'exit' event (a run folder's lock) beyond `nodesOwn`, the 'exit'
 * listeners Node had before the command ran (an entry point's top-level await), or without the engine,
 * Node ends it.
 */
export async function exitAfterWork(code: number, nodesOwn: readonly unknown[]): Promise<void> {
  process.exitCode = code;
  const addon = loadNativeAddon();
  if (!addon.ok) return;
  await Promise.all([written(process.stdout), written(process.stderr)]);
  if (process.listeners('exit').every((listener) => nodesOwn.includes(listener)) && !writesAtExit()) addon.value.exitAtOnce(code);
}

/** Whether Node was asked for something it writes as the process ends: a profile, coverage. */
function writesAtExit(): boolean {
  return process.env.NODE_V8_COVERAGE !== undefined || process.execArgv.some((flag) => /^--(cpu-prof|heap-prof|prof)\b/.test(flag));
}

/** Resolves once everything written to the stream so far is out of the process (an empty write's callback comes after the others'). */
function written(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writable ? stream.write('', () => resolve()) : resolve()));
}
