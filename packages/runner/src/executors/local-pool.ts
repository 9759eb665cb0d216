import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { EpochMetrics } from '@specml/trainer';
import { readTrialSummary, type TrialEvents, type TrialExecutor, type TrialOutcome, type TrialRequest } from './trial-executor.js';

/** Messages a trial process sends its parent over the IPC channel (see trial-process.ts). */
export type TrialMessage =
  | { type: 'start'; runDir: string }
  | { type: 'epoch'; row: EpochMetrics }
  | { type: 'checkpoint'; epoch: number }
  | { type: 'done'; outcome: TrialOutcome };

/** What the parent sends a trial process: a trial, then (with awaitVerdicts) a verdict per epoch. */
export type ParentMessage = { type: 'run'; request: TrialRequest } | { type: 'verdict'; stop: boolean };

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));
/** After asking a trial to stop, how long it has to write its checkpoint and summary before it is killed. */
const STOP_GRACE_MS = 30_000;

/**
 * Trials in child processes of this CLI on this machine, `slots` at a time (the default executor). A child
 * runs one trial after another (no start-up per trial); where the slots fill the cores, each trial uses
 * one thread of the native engine, which changes its speed, never its results.
 */
export class LocalPoolExecutor implements TrialExecutor {
  private readonly idle: ChildProcess[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private closed = false;

  constructor(readonly slots: number) {
    const oneThreadEach = slots >= availableParallelism();
    this.env = { ...process.env, CI: 'true', INIT_CWD: '', ...(oneThreadEach ? { SPECML_THREADS: '1' } : {}) };
  }

  /** Starts the trial processes now, so that their start-up (about a second of imports) overlaps the sweep's own checks. */
  warm(): void {
    while (this.idle.length < this.slots) this.idle.push(this.spawnTrialProcess());
  }

  private spawnTrialProcess(): ChildProcess {
    return spawn(process.execPath, [CLI, 'trial'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: this.env });
  }

  run(request: TrialRequest, events: TrialEvents, signal: AbortSignal): Promise<TrialOutcome> {
    // A closed pool (a worker stopping) starts nothing more.
    if (this.closed) return Promise.resolve({ status: 'interrupted', runDir: request.resumeRunDir ?? null, summary: readTrialSummary(request.resumeRunDir ?? null), message: 'not started: its worker is stopping' });
    const child = this.idle.pop() ?? this.spawnTrialProcess();
    return new Promise((resolve) => {
      let runDir: string | null = null;
      let stderr = '';
      const onStderr = (chunk: Buffer) => (stderr = (stderr + chunk).slice(-10_000));
      const onMessage = (message: TrialMessage) => {
        if (message.type === 'start') {
          runDir = message.runDir;
          events.onStart?.(message.runDir);
        } else if (message.type === 'epoch') {
          // A listener that fails (its queue gone) lets the trial go on; it never crashes this process.
          void Promise.resolve(events.onEpoch?.(message.row))
            .catch(() => undefined)
            .then((verdict) => {
              if (request.awaitVerdicts && child.connected) child.send({ type: 'verdict', stop: verdict === 'stop' } satisfies ParentMessage);
            });
        } else if (message.type === 'checkpoint') void events.onCheckpoint?.(message.epoch);
        else if (message.type === 'done') finish(message.outcome);
      };
      // A process that died before saying how it ended (killed, crashed): failed, with its last words.
      const onClose = (code: number | null, killedBy: NodeJS.Signals | null) =>
        finish({ status: 'failed', runDir, summary: readTrialSummary(runDir), message: lastLine(stderr) || `the trial process ${killedBy ? `was killed (${killedBy})` : `exited with code ${code}`}` }, true);
      const stop = () => {
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      };
      const finish = (outcome: TrialOutcome, exited = false) => {
        child.stderr!.off('data', onStderr);
        child.off('message', onMessage);
        child.off('close', onClose);
        signal.removeEventListener('abort', stop);
        if (!exited && !signal.aborted && !this.closed && child.connected) this.idle.push(child);
        else if (!exited && this.closed && !signal.aborted) child.disconnect();
        else if (!exited) child.kill();
        resolve(outcome);
      };
      child.stderr!.on('data', onStderr);
      child.on('message', onMessage);
      child.on('close', onClose);
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      child.send({ type: 'run', request } satisfies ParentMessage);
    });
  }

  /** Ends the idle trial processes (each finishes when its channel closes) and starts no more; running trials finish. */
  close(): void {
    this.closed = true;
    for (const child of this.idle.splice(0)) child.disconnect();
  }
}

const lastLine = (text: string) => text.trim().split('\n').at(-1)?.replace(/^error: /, '') ?? '';
