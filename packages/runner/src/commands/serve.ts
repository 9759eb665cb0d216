import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tf = require('@tensorflow/tfjs-core');
import { encodeRows, ImageInputProcess, isUserError, tableOfRows, UserError, type TableEncoding } from '@specml/data';
import { activateTfjsBackend, loadModel } from '@specml/trainer';
import { trainingInput } from './predict.js';

export interface PredictionServer {
  readonly url: string;
  /** What the page takes: drawn digits and image files (grey digit models), image files, or a text (a model of one text column). */
  readonly input: 'drawing' | 'image' | 'text';
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
/** The longest text the page may send (a long e-mail is a few KiB). */
export const MAX_TEXT_BYTES = 64 * 2 ** 10;
/** Uploads read and waiting for their prediction at most (each holds its bytes): more are answered 503. */
const MAX_WAITING_UPLOADS = 4;
/** The longest an upload may take to decode by default: a photo takes well under a second. */
export const DEFAULT_DECODE_SECONDS = 10;

/** What the page's model predicts with: the run's loaded model, its input, its class names, and whether it has a draw pad. */
interface ServedModel {
  readonly model: Awaited<ReturnType<typeof loadModel>>;
  readonly inputShape: number[];
  readonly digitStyle: boolean;
  readonly drawPad: boolean;
  /** A model whose only input is a text column: its table encoding (the page has a text box). */
  readonly text?: TableEncoding;
  /** run.json: the run's name, id, class names, whether the page shows the draw pad, and the text column's name. */
  readonly runInfo: string;
}

/**
 * The run's model, loaded once here so that a damaged one is reported now (exit 2), not in the browser; a
 * table's model is refused unless its one input column is a text.
 */
async function servedModel(runDir: string): Promise<ServedModel> {
  if (!existsSync(join(runDir, 'model', 'model.json'))) {
    throw new UserError(`--run ${runDir}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)`);
  }
  const { summary, digitStyle, table } = trainingInput(runDir);
  const text = table?.features.length === 1 && table.features[0].type === 'text' ? table : undefined;
  if (table && !text) throw new UserError(`--run ${runDir}: this run's model reads table rows of several columns; predict them with: npx specml predict --run ${runDir} rows.csv`);
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  const model = await loadModel(join(runDir, 'model'));
  const classCount = model.outputs[0].shape.at(-1) ?? 10;
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const classNames = summary?.classNames.length === classCount ? summary.classNames : Array.from({ length: classCount }, (_, i) => String(i));
  // The draw pad makes grey 28×28-style digits; other models take image files only.
  const drawPad = digitStyle && inputShape[2] === 1;
  const runInfo = JSON.stringify({ name: summary?.name ?? basename(dirname(runDir)), runId: summary?.runId ?? basename(runDir), classNames, drawPad, text: text?.features[0].name ?? null });
  return { model, inputShape, digitStyle, drawPad, ...(text ? { text } : {}), runInfo };
}

/** A text from the page as the model's input, encoded as training encoded the column (its vocabulary and tokenizer). */
function textInput(bytes: Uint8Array, encoding: TableEncoding): { values: Float32Array; warnings: string[] } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError('the text is not UTF-8');
  }
  const row = tableOfRows('the text', [encoding.features[0].name], [[text]], encoding.format);
  return { values: encodeRows(row, [0], encoding).inputs, warnings: [] };
}

/**
 * Predicts uploads one at a time (they queue instead of piling decoded images up in memory), each image
 * decoded in a child process with a time limit: no image stalls the server's event loop (or the page's
 * files). A text (at most 64 KiB) is tokenized here.
 */
function uploadPredictor(served: ServedModel, decodeSeconds: number) {
  let predictions = Promise.resolve();
  let waiting = 0;
  const decoder = new ImageInputProcess(decodeSeconds);
  const [limit, what] = served.text ? [MAX_TEXT_BYTES, `the text is longer than ${MAX_TEXT_BYTES / 2 ** 10} KiB`] : [MAX_UPLOAD_BYTES, `the image is larger than ${MAX_UPLOAD_BYTES / 2 ** 20} MiB`];
  const predict = (bytes: Uint8Array) => {
    const result = predictions.then(async () => {
      const { values, warnings } = served.text ? textInput(bytes, served.text) : await decoder.input(bytes, served.inputShape, served.digitStyle);
      const probabilities = tf.tidy(() => Array.from((served.model.predict(tf.tensor(values, [1, ...served.inputShape])) as tf.Tensor).dataSync()));
      return { probabilities, warnings };
    });
    predictions = result.then(() => undefined, () => undefined);
    return result;
  };
  return {
    /** Answers an upload: its prediction, 400 with the reason for an image that cannot be read, 503 while four wait, 413 when too large. */
    answer(request: IncomingMessage, response: ServerResponse): void {
      const answer = (status: number, body: unknown) => void (response.headersSent || response.writeHead(status, { 'content-type': CONTENT_TYPES['.json'] }).end(JSON.stringify(body)));
      // A slow sender holds only its own connection (and requestTimeout ends it): an upload counts as waiting
      // once its whole body is here, so that slow POSTs cannot turn every real upload away.
      readBody(request, limit).then(
        (bytes) => {
          if (waiting >= MAX_WAITING_UPLOADS) return answer(503, { error: 'busy: other uploads are being predicted; send it again in a moment' });
          waiting++;
          predict(bytes)
            .then(
              (prediction) => answer(200, prediction),
              (error) => answer(isUserError(error) ? 400 : 500, { error: isUserError(error) ? error.message : 'the prediction failed' }),
            )
            .finally(() => waiting--);
        },
        // The rest of an oversized body is read and thrown away (requestTimeout bounds how long), so that the
        // sender, still writing, reads the answer instead of a reset.
        () => answer(413, { error: what }),
      );
    },
    close: () => decoder.close(),
  };
}

/** Sends one of the page's files (404 if it vanished meanwhile; a read error mid-way ends the connection). */
function sendFile(file: string, response: ServerResponse, notFound: () => void): void {
  const stream = createReadStream(file);
  stream.once('open', () => {
    response.writeHead(200, { 'content-type': CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    stream.pipe(response);
  });
  stream.once('error', () => (response.headersSent ? response.destroy() : notFound()));
}

/** The request's path: origin-form only (`/path`), so that `//host/…` is a path, never an authority; undefined for anything else. */
function requestPath(request: IncomingMessage): string | undefined {
  try {
    return request.url?.startsWith('/') ? new URL(`http://localhost${request.url}`).pathname : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves a run's page on 127.0.0.1 only: choose or drop an image file (any PNG or JPEG, predicted here
 * exactly as `predict` reads it), and for digit models a pad to draw on (predicted in the browser with
 * tfjs, from the run's model/ folder); for a model of one text column, a text box (the text predicted here
 * with the run's vocabulary). Port 0 picks a free port.
 */
export async function startPredictionServer(runDir: string, port = 0, decodeSeconds = DEFAULT_DECODE_SECONDS): Promise<PredictionServer> {
  const served = await servedModel(runDir);
  const uploads = uploadPredictor(served, decodeSeconds);
  const files = routes(runDir);
  // Total: no request, however malformed, and no file vanishing while served, takes the server down.
  const server: Server = createServer((request, response) => {
    const notFound = () => response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    const path = requestPath(request);
    if (path === undefined) response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
    else if (request.method === 'POST' && path === '/predict') uploads.answer(request, response);
    else if (request.method !== 'GET') response.writeHead(405).end();
    else if (path === '/run.json') response.writeHead(200, { 'content-type': CONTENT_TYPES['.json'] }).end(served.runInfo);
    else if (files.has(path)) sendFile(files.get(path)!, response, notFound);
    else notFound();
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
    input: served.text ? 'text' : served.drawPad ? 'drawing' : 'image',
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          uploads.close();
          served.model.dispose();
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
