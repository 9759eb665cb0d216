// The process `serve` computes an upload's input in (image-input-process.ts): a slow, huge or hostile image
// stalls this process, and past the time limit loses it, never the server's event loop.
import { isUserError } from '../errors.js';
import { imageInput } from './image-input.js';

interface Job {
  readonly bytes: Uint8Array;
  readonly inputShape: readonly number[];
  readonly digitStyle: boolean;
}

process.on('message', (job: Job) => {
  const warnings: string[] = [];
  imageInput(job.bytes, 'the image', job.inputShape, job.digitStyle, warnings).then(
    (values) => process.send!({ values, warnings }),
    (error: unknown) => process.send!({ error: isUserError(error) ? error.message : String((error as Error)?.message ?? error), user: isUserError(error) }),
  );
});
// The server went away: so does this process.
process.on('disconnect', () => process.exit(0));
