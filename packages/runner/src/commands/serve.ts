import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ImageInputProcess, isUserError, UserError } from '@specml/data';
import { activateTfjsBackend, loadModel } from '@specml/trainer';
import { trainingInput } from './predict.js';

export interface PredictionServer {
  readonly url: string;
  /** Whether the page has a pad to draw digits on (grey digit models). */
  readonly drawPad: boolean;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
};

/** Every file the page may load, by URL path. Nothing else is served. */
function routes(runDir: string): Map<string, string> {
  const require = createRequire(import.meta.url);
  const vendor = (pkg: string, file: string) => join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', file);
  return new Map([
    ['/', fileURLToPath(new URL('../../static/serve.html', import.meta.url))],
    ['/digit-preprocess.js', join(dirname(fileURLToPath(import.meta.resolve('@specml/data'))), 'digit-preprocess.js')],
    ['/vendor/tf-core.min.js', vendor('@tensorflow/tfjs-core', 'tf-core.min.js')],
    ['/vendor/tf-backend-cpu.min.js', vendor('@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.min.js')],
    ['/vendor/tf-layers.min.js', vendor('@tensorflow/tfjs-layers', 'tf-layers.min.js')],
    ['/model/model.json', join(runDir, 'model', 'model.json')],
    ['/model/weights.bin', join(runDir, 'model', 'weights.bin')],
  ]);
}

/** The largest image file the page may send for a prediction. */
export const MAX_UPLOAD_BYTES = 16 * 2 ** 20;
/** Uploads read and waiting for their prediction at most (each holds its bytes): more are answered 503. */
const MAX_WAITING_UPLOADS = 4;
/** The longest an upload may take to decode by default: a photo takes well under a second. */
export const DEFAULT_DECODE_SECONDS = 10;

/**
 * Serves a run's page on 127.0.0.1 only: choose or drop an image file (any PNG or JPEG, predicted here
 * exactly as `predict` reads it), and for digit models a pad to draw on (predicted in the browser with
 * tfjs, from the run's model/ folder). Port 0 picks a free port.
 */
export async function startPredictionServer(runDir: string, port = 0, decodeSeconds = DEFAULT_DECODE_SECONDS): Promise<PredictionServer> {
  if (!existsSync(join(runDir, 'model', 'model.json'))) {
    throw new UserError(`--run ${runDir}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)`);
  }
  const { summary, digitStyle, table } = trainingInput(runDir);
  if (table) throw new UserError(`--run ${runDir}: this run's model reads table rows; predict them with: npx specml predict --run ${runDir} rows.csv`);
  // The model is loaded once here, so that a damaged one is reported now (exit 2), not in the browser.
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  const model = await loadModel(join(runDir, 'model'));
  const classCount = model.outputs[0].shape.at(-1) ?? 10;
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const classNames = summary?.classNames.length === classCount ? summary.classNames : Array.from({ length: classCount }, (_, i) => String(i));
  // The draw pad makes grey 28×28-style digits; other models take image files only.
  const drawPad = digitStyle && inputShape[2] === 1;
  const runInfo = JSON.stringify({ name: summary?.name ?? basename(dirname(runDir)), runId: summary?.runId ?? basename(runDir), classNames, drawPad });
  // One prediction at a time: uploads queue here instead of piling decoded images up in memory.
  let predictions = Promise.resolve();
  let waiting = 0;
  // Decoding happens in a child process with a time limit: no image stalls this event loop (or the page's files).
  const decoder = new ImageInputProcess(decodeSeconds);
  const predictUpload = (bytes: Uint8Array) => {
    const result = predictions.then(async () => {
      const { values, warnings } = await decoder.input(bytes, inputShape, digitStyle);
      const probabilities = tf.tidy(() => Array.from((model.predict(tf.tensor(values, [1, ...inputShape])) as tf.Tensor).dataSync()));
      return { probabilities, warnings };
    });
    predictions = result.then(() => undefined, () => undefined);
    return result;
  };
  const files = routes(runDir);
  // Total: no request, however malformed, and no file vanishing while served, takes the server down.
  const server: Server = createServer((request, response) => {
    const notFound = () => response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    let path: string;
    try {
      // Origin-form only (`/path`): `//host/…` is a path here, never an authority, and absolute-form URLs are refused.
      if (!request.url?.startsWith('/')) throw new TypeError('not a path');
      path = new URL(`http://localhost${request.url}`).pathname;
    } catch {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
      return;
    }
    if (request.method === 'POST' && path === '/predict') {
      const answer = (status: number, body: unknown) => void (response.headersSent || response.writeHead(status, { 'content-type': CONTENT_TYPES['.json'] }).end(JSON.stringify(body)));
      // A slow sender holds only its own connection (and requestTimeout ends it): an upload counts as waiting
      // once its whole body is here, so that slow POSTs cannot turn every real upload away.
      readBody(request, MAX_UPLOAD_BYTES).then(
        (bytes) => {
          if (waiting >= MAX_WAITING_UPLOADS) return answer(503, { error: 'busy: other images are being predicted; send it again in a moment' });
          waiting++;
          predictUpload(bytes)
            .then(
              (prediction) => answer(200, prediction),
              (error) => answer(isUserError(error) ? 400 : 500, { error: isUserError(error) ? error.message : 'the prediction failed' }),
            )
            .finally(() => waiting--);
        },
        // The rest of an oversized body is read and thrown away (requestTimeout bounds how long), so that the
        // sender, still writing, reads the answer instead of a reset.
        () => answer(413, { error: `the image is larger than ${MAX_UPLOAD_BYTES / 2 ** 20} MiB` }),
      );
    } else if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/run.json') {
      response.writeHead(200, { 'content-type': CONTENT_TYPES['.json'] }).end(runInfo);
    } else if (files.has(path)) {
      const file = files.get(path)!;
      const stream = createReadStream(file);
      stream.once('open', () => {
        response.writeHead(200, { 'content-type': CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        stream.pipe(response);
      });
      stream.once('error', () => (response.headersSent ? response.destroy() : notFound()));
    } else {
      notFound();
    }
  });
  // Slowloris: a request must send its headers within 10 s and its whole body within 30 s (Node's default is 300 s).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UserError(`--port ${port}: the port is in use (pick another, or 0 for any free port)`) : error),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    drawPad,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          decoder.close();
          model.dispose();
          resolve();
        }),
      ),
  };
}

/** A request's body, or a rejection as soon as it passes `limit` bytes (the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > limit) {
      request.resume();
      return reject(new Error('too large'));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Chunked bodies have no declared length: past the limit nothing more is kept (the rest is drained), and the caller answers 413.
        request.off('data', onData);
        chunks.length = 0;
        request.resume();
        reject(new Error('too large'));
      } else chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
