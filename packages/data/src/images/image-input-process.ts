import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

/** What the child sends back for one image. */
type Answer = { values: Float32Array; warnings: string[] } | { error: string; user: boolean };

/**
 * Computes images' model inputs (imageInput) in a child process, one at a time, so that decoding never
 * blocks the caller's event loop; an image that takes longer than `seconds` is refused and its process
 * killed (the next image starts a fresh one). A process, not a worker thread: it can be killed mid-decode
 * whatever libvips is doing, and its memory is its own.
 */
export class ImageInputProcess {
  private child: ChildProcess | undefined;

  constructor(private readonly seconds: number) {}

  input(bytes: Uint8Array, inputShape: readonly number[], digitStyle: boolean): Promise<{ values: Float32Array; warnings: string[] }> {
    const child = (this.child ??= this.start());
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        child.off('message', onAnswer);
        child.off('exit', onExit);
      };
      const onAnswer = (answer: Answer) => {
        finish();
        if ('error' in answer) reject(answer.user ? new UserError(answer.error) : new Error(answer.error));
        else resolve({ values: answer.values, warnings: answer.warnings });
      };
      const onExit = () => {
        finish();
        if (this.child === child) this.child = undefined;
        reject(new Error('the process decoding the image ended'));
      };
      const timer = setTimeout(() => {
        finish();
        this.close();
        reject(new UserError(`the image took longer than ${this.seconds} s to decode: send a smaller image`));
      }, this.seconds * 1000);
      child.on('message', onAnswer);
      child.once('exit', onExit);
      child.send({ bytes, inputShape, digitStyle });
    });
  }

  /** Kills the process (if any); the next image starts another. */
  close(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private start(): ChildProcess {
    const child = fork(fileURLToPath(new URL('./image-input-child.js', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // Waiting for an image holds the caller's process open; an idle child does not.
    child.unref();
    child.channel?.unref();
    return child;
  }
}
