import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '@specml/data';
import { columnGoal, TASK_COLUMNS, type MetricColumn } from '@specml/data';
import { curvesSpec, finalAndBest, isFinishedStatus, finalAndBestSpec, metricScatterSpec, parallelCoordinatesSpec, verdictOf } from '@specml/reporter';
import { RunsState, type StateChange } from './runs-state.js';

export interface DashboardOptions {
  readonly runsDir: string;
  /** 0: any free port. */
  readonly port: number;
  /** 127.0.0.1 unless asked otherwise (anything else exposes every run to whoever reaches the port). */
  readonly host?: string;
  /** How often the runs dir is rescanned. */
  readonly pollMs?: number;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));
/** A package's build folder (its entry point's folder: the packages export no package.json). */
const buildDir = (name: string) => dirname(fileURLToPath(import.meta.resolve(name)));
/** The page's own files, and the Vega bundles from node_modules: nothing is fetched from outside. */
const ASSETS: Record<string, string> = {
  'app.js': join(PAGE_DIR, 'app.js'),
  'app.css': join(PAGE_DIR, 'app.css'),
  'vega.min.js': join(buildDir('vega'), 'vega.min.js'),
  'vega-lite.min.js': join(buildDir('vega-lite'), 'vega-lite.min.js'),
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
const MAX_URL = 4096;
const MAX_EVENT_CLIENTS = 64;
/** The most runs one chart compares (the page selects up to this many). */
const MAX_CHART_RUNS = 50;

/**
 * Serves the dashboard: the page, its assets, the runs dir's state as JSON and as server-sent events (a
 * change event whenever a rescan finds new or updated runs), chart specs built by the reporter, and the
 * files inside the runs dir (reports, pictures, CSVs). Read-only; nothing outside the runs dir and the
 * page's assets is ever served.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  if (!existsSync(options.runsDir) || !statSync(options.runsDir).isDirectory()) {
    throw new UserError(`--runs-dir ${options.runsDir}: no such folder (run an experiment first, or give the folder that holds your runs)`);
  }
  const root = realpathSync(options.runsDir);
  const state = new RunsState(root);
  state.refresh();
  const updates = liveUpdates(state, options.pollMs ?? 1000);
  const server = createServer((request, response) => {
    try {
      route(request, response, { runsDir: options.runsDir, root, state, updates });
    } catch (error) {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', `internal error: ${(error as Error).message}\n`);
      else response.destroy();
    }
  });
  server.on('clientError', (_, socket) => socket.destroy());
  try {
    await listen(server, options);
  } catch (error) {
    updates.stop();
    throw error;
  }
  const address = server.address() as { address: string; port: number };
  const shownHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((done) => {
        updates.stop();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** What a request is answered from: the runs dir as given and as resolved, its state, the open event streams. */
interface Served {
  readonly runsDir: string;
  readonly root: string;
  readonly state: RunsState;
  readonly updates: LiveUpdates;
}

function route(request: IncomingMessage, response: ServerResponse, served: Served) {
  const url = request.url ?? '/';
  if (url.length > MAX_URL) return send(response, 414, 'text/plain; charset=utf-8', 'URL too long\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'text/plain; charset=utf-8', 'the dashboard is read-only\n');
  }
  const [path, query = ''] = url.split('?', 2);
  if (path === '/') return sendFile(response, join(PAGE_DIR, 'index.html'));
  if (path.startsWith('/assets/')) {
    const asset = ASSETS[path.slice('/assets/'.length)];
    return asset ? sendFile(response, asset) : send(response, 404, 'text/plain; charset=utf-8', 'no such asset\n');
  }
  if (path === '/api/state') return sendJson(response, { runsDir: served.runsDir, ...served.state.snapshot() });
  if (path === '/api/events') return served.updates.subscribe(response);
  if (path === '/api/charts') return sendJson(response, chartSpecs(served.state, new URLSearchParams(query)));
  if (path.startsWith('/runs/')) return runFile(response, served.root, path.slice('/runs/'.length));
  return send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
}

interface LiveUpdates {
  /** Answers a request for the event stream (or refuses it when MAX_EVENT_CLIENTS are open). */
  subscribe(response: ServerResponse): void;
  /** Stops rescanning and ends every open stream. */
  stop(): void;
}

/** The runs dir rescanned every `pollMs`, each change sent to every open event stream, which a comment keeps open. */
function liveUpdates(state: RunsState, pollMs: number): LiveUpdates {
  const listeners = new Set<ServerResponse>();
  const broadcast = (change: StateChange) => {
    if (change.runs.length + change.sweeps.length + change.removed.length === 0) return;
    const message = `event: change\ndata: ${JSON.stringify(change)}\n\n`;
    for (const response of listeners) response.write(message);
  };
  const poll = setInterval(() => {
    try {
      broadcast(state.refresh());
    } catch {
      // a scan that raced a folder being written: the next one sees it whole
    }
  }, pollMs);
  const keepAlive = setInterval(() => listeners.forEach((response) => response.write(': keep-alive\n\n')), 15_000);
  return {
    subscribe(response) {
      if (listeners.size >= MAX_EVENT_CLIENTS) return send(response, 503, 'text/plain; charset=utf-8', 'too many open dashboards\n');
      response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      response.write('retry: 2000\n\n');
      listeners.add(response);
      response.on('close', () => listeners.delete(response));
    },
    stop() {
      clearInterval(poll);
      clearInterval(keepAlive);
      for (const response of listeners) response.end();
    },
  };
}

/** The chart specs for the selected runs and sweep, built by the same code as comparison.png. */
function chartSpecs(state: RunsState, query: URLSearchParams) {
  const ids = (query.get('runs') ?? '').split(',').filter(Boolean).slice(0, MAX_CHART_RUNS);
  const series = ids.flatMap((id) => {
    const run = state.run(id);
    return run ? [{ label: id, rows: run.metrics }] : [];
  });
  const withEpochZero = query.get('epoch0') === '1';
  // Regressions are drawn by RMSE and R², classifiers by accuracy and loss (a mixed selection: accuracy).
  const regression = series.length > 0 && series.every((run) => run.rows.some((row) => row.test_rmse !== undefined));
  const { headline, second } = TASK_COLUMNS[regression ? 'regression' : 'classification'];
  const validation = headline.replace('test_', 'validation_') as keyof (typeof series)[number]['rows'][number];
  const metrics = series.some((run) => run.rows.some((row) => row[validation] !== undefined)) ? [headline, headline.replace('test_', 'validation_'), second] : [headline, second];
  const sweep = state.sweep(query.get('sweep') ?? '');
  const trials = (sweep?.trials ?? [])
    .filter((trial) => trial.metric !== null && isFinishedStatus(trial.state))
    .map((trial) => ({ label: `trial ${trial.index}`, values: trial.values, metric: trial.metric! }));
  // Whether the first two selected runs differ beyond the noise, on the column compare ranks by.
  const [one, other] = ids.flatMap((id) => state.run(id) ?? []);
  const validated = [one, other].every((run) => typeof run?.final?.[validation as MetricColumn] === 'number');
  return {
    verdict: one && other ? verdictOf({ members: one.members ?? undefined }, { members: other.members ?? undefined }, [one.id, other.id], validated ? String(validation) : headline) : null,
    curves: series.length ? builtOrNull(() => curvesSpec(series, { metrics, withEpochZero, width: 300 })) : null,
    finals: series.length ? builtOrNull(() => finalAndBestSpec(finalAndBest(series, headline, columnGoal(headline)), headline)) : null,
    parallel: sweep && trials.length ? builtOrNull(() => parallelCoordinatesSpec(trials, sweep.keys, sweep.metric.name)) : null,
    scatter: sweep && trials.length ? builtOrNull(() => metricScatterSpec(trials, sweep.keys, sweep.metric.name)) : null,
  };
}

/** One chart that cannot be built from what a folder holds is left out; the others are still drawn. */
function builtOrNull(make: () => unknown): unknown {
  try {
    return make();
  } catch {
    return null;
  }
}

/**
 * A file inside the runs dir (`root`, resolved). The path is decoded once and resolved; anything that lands
 * outside the runs dir, before or after following symlinks, is refused.
 */
function runFile(response: ServerResponse, root: string, encoded: string) {
  let relative: string;
  try {
    relative = decodeURIComponent(encoded);
  } catch {
    return send(response, 400, 'text/plain; charset=utf-8', 'bad path\n');
  }
  if (relative.includes('\0')) return send(response, 400, 'text/plain; charset=utf-8', 'bad path\n');
  const target = resolve(root, relative);
  if (!target.startsWith(root + sep)) return send(response, 403, 'text/plain; charset=utf-8', 'outside the runs dir\n');
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
  if (!real.startsWith(root + sep)) return send(response, 403, 'text/plain; charset=utf-8', 'outside the runs dir\n');
  if (!statSync(real).isFile()) return send(response, 404, 'text/plain; charset=utf-8', 'not a file\n');
  return sendRunFile(response, real);
}

/** Listens where asked; a port in use, a host not of this machine or a port not allowed is a user's error. */
function listen(server: Server, options: DashboardOptions): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  return new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') fail(new UserError(`--port ${options.port}: port ${options.port} on ${host} is already in use (another dashboard? choose another with --port, or --port 0 for any free one)`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') fail(new UserError(`--host ${host}: not an address of this machine`));
      else if (error.code === 'EACCES') fail(new UserError(`--port ${options.port}: not allowed to listen there (ports below 1024 need root; try 6006)`));
      else fail(error);
    });
    server.listen(options.port, host, () => done());
  });
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer) {
  response.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  response.end(body);
}

function sendJson(response: ServerResponse, value: unknown) {
  send(response, 200, TYPES['.json'], JSON.stringify(value));
}

/** What a run folder's files are served as: types that run no script; anything else is a download. */
const RUN_FILE_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * A file from the runs dir, which anyone who can write there (or send a run folder through the queue)
 * controls: served under a sandboxing policy (a page from it is its own opaque origin, runs no script and
 * loads nothing but images and inline styles), with a type that cannot execute, and anything not known to
 * be a page, picture or text as a download.
 */
function sendRunFile(response: ServerResponse, path: string) {
  const type = RUN_FILE_TYPES[extname(path).toLowerCase()];
  response.writeHead(200, {
    'Content-Type': type ?? 'application/octet-stream',
    ...(type ? {} : { 'Content-Disposition': 'attachment' }),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
    'Cache-Control': 'no-store',
  });
  createReadStream(path).on('error', () => response.destroy()).pipe(response);
}

function sendFile(response: ServerResponse, path: string) {
  const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  response.writeHead(200, {
    'Content-Type': type,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-eval'",
    'Cache-Control': 'no-store',
  });
  createReadStream(path).on('error', () => response.destroy()).pipe(response);
}

/** The page's HTML, for tests that check it refers only to local assets. */
export function pageHtml(): string {
  return readFileSync(join(PAGE_DIR, 'index.html'), 'utf8');
}
