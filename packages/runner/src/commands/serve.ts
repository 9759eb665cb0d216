import { createReadStream, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '@specml/data';
import { summaryIfReadable } from '@specml/reporter';
import { activateTfjsBackend, loadModel } from '@specml/trainer';

export interface DrawServer {
  readonly url: string;
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
    ['/', fileURLToPath(new URL('../../static/draw.html', import.meta.url))],
    ['/digit-preprocess.js', join(dirname(fileURLToPath(import.meta.resolve('@specml/data'))), 'digit-preprocess.js')],
    ['/vendor/tf-core.min.js', vendor('@tensorflow/tfjs-core', 'tf-core.min.js')],
    ['/vendor/tf-backend-cpu.min.js', vendor('@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.min.js')],
    ['/vendor/tf-layers.min.js', vendor('@tensorflow/tfjs-layers', 'tf-layers.min.js')],
    ['/model/model.json', join(runDir, 'model', 'model.json')],
    ['/model/weights.bin', join(runDir, 'model', 'weights.bin')],
  ]);
}

/**
 * Serves the draw-a-digit page for a run on 127.0.0.1 only: the model runs in the browser with tfjs,
 * loaded from the run's model/ folder. Port 0 picks a free port.
 */
export async function startDrawServer(runDir: string, port = 0): Promise<DrawServer> {
  if (!existsSync(join(runDir, 'model', 'model.json'))) {
    throw new UserError(`--run ${runDir}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)`);
  }
  // The model is loaded once here, so that a damaged one is reported now (exit 2), not in the browser.
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  const model = await loadModel(join(runDir, 'model'));
  const classCount = model.outputs[0].shape.at(-1) ?? 10;
  model.dispose();
  const summary = summaryIfReadable(runDir);
  const classNames = summary?.classNames.length === classCount ? summary.classNames : Array.from({ length: classCount }, (_, i) => String(i));
  const runInfo = JSON.stringify({ name: summary?.name ?? basename(dirname(runDir)), runId: summary?.runId ?? basename(runDir), classNames });
  const files = routes(runDir);
  // Total: no request, however malformed, and no file vanishing while served, takes the server down.
  const server: Server = createServer((request, response) => {
    const notFound = () => response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    let path: string;
    try {
      path = new URL(request.url ?? '/', 'http://localhost').pathname;
    } catch {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
      return;
    }
    if (request.method !== 'GET') {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UserError(`--port ${port}: the port is in use (pick another, or 0 for any free port)`) : error),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
