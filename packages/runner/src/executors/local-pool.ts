import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EpochMetrics } from '@specml/trainer';
import { readTrialSummary, type TrialEvents, type TrialExecutor, type TrialOutcome, type TrialRequest } from './trial-executor.js';

/** Messages a trial process sends its parent over the IPC channel (see trial-process.ts). */
export type TrialMessage =
  | { type: 'start'; runDir: string }
  | { type: 'epoch'; row: EpochMetrics }
  | { type: 'done'; outcome: TrialOutcome };

/** What the parent sends a trial process: the trial, then (with awaitVerdicts) a verdict per epoch. */
export type ParentMessage = { type: 'run'; request: TrialRequest } | { type: 'verdict'; stop: boolean };

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
/** After asking a trial to stop, how long it has to write its checkpoint and summary before it is killed. */
const STOP_GRACE_MS = 30_000;

/** Each trial in a child process of this CLI on this machine, `slots` at a time (the default executor). */
export class LocalPoolExecutor implements TrialExecutor {
  constructor(readonly slots: number) {}

  run(request: TrialRequest, events: TrialEvents, signal: AbortSignal): Promise<TrialOutcome> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'trial'], {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: { ...process.env, CI: 'true', INIT_CWD: '' },
      });
      let outcome: TrialOutcome | undefined;
      let runDir: string | null = null;
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-10_000)));
      child.on('message', (message: TrialMessage) => {
        if (message.type === 'start') {
          runDir = message.runDir;
          events.onStart?.(message.runDir, 'local');
        } else if (message.type === 'epoch') {
          const verdict = events.onEpoch?.(message.row);
          if (request.awaitVerdicts && child.connected) child.send({ type: 'verdict', stop: verdict === 'stop' } satisfies ParentMessage);
        } else if (message.type === 'done') outcome = message.outcome;
      });
      const stop = () => {
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      child.on('close', (code) => {
        signal.removeEventListener('abort', stop);
        // A process that died before saying how it ended (killed, crashed): failed, with its last words.
        resolve(outcome ?? { status: 'failed', runDir, summary: readTrialSummary(runDir), message: lastLine(stderr) || `the trial process exited with ${code}` });
      });
      child.send({ type: 'run', request } satisfies ParentMessage);
    });
  }
}

const lastLine = (text: string) => text.trim().split('\n').at(-1)?.replace(/^error: /, '') ?? '';
