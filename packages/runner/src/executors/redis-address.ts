import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { readRegularFile, UnreadableFileError, UserError } from '@specml/data';

/** A --queue URL, parsed: what to connect with, and how to show it (never with its password). */
export interface RedisAddress {
  /** The URL as it may be printed: the password replaced by ***. */
  readonly shown: string;
  /** Where it was given (--queue, --queue-file F:, $SPECML_QUEUE), for messages. */
  readonly source: string;
  readonly options: RedisOptions;
}

/** How long a first connection may take before the URL is reported unreachable. */
const CONNECT_TIMEOUT_MS = 4000;

/** `redis://[user][:password@]host[:port][/db]`, or `rediss://…` for TLS; `source` names where it was given, for messages. */
export function parseRedisAddress(url: string, source = '--queue'): RedisAddress {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // A URL that does not parse may still hold a password (one with a "/" breaks parsing): all that stands
  // before its last "@" is hidden.
  const shown = parsed?.password ? redacted(parsed) : url.replace(/^([^/]*\/\/)?[^@]*@/, (_, scheme = '') => `${scheme}***@`);
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) {
    throw new UserError(`${source} ${shown}: expected a Redis URL, redis://[:password@]host:port (or rediss:// for TLS), e.g. redis://127.0.0.1:6379; a password with "/", "@" or ":" must be percent-encoded (%2F, %40, %3A)`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new UserError(`${source} ${shown}: the path must be a database number, e.g. redis://127.0.0.1:6379/0`);
  return {
    shown,
    source,
    options: {
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : 6379,
      username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
      db: db === '' ? 0 : Number(db),
      // TLS trusts the system's CAs; a private CA is added with NODE_EXTRA_CA_CERTS.
      tls: parsed.protocol === 'rediss:' ? (isIP(parsed.hostname) ? {} : { servername: parsed.hostname }) : undefined,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // BullMQ's blocking connections must wait as long as it takes.
      maxRetriesPerRequest: null,
    },
  };
}

/** Where a queue's URL may come from: the command line, a file, or the environment. */
export interface QueueSource {
  /** --queue <url> */
  readonly queue?: string;
  /** --queue-file <file> */
  readonly queueFile?: string;
}

/** The environment variable a queue's URL is read from where no flag gives one (it keeps the password out of `ps`). */
export const QUEUE_ENV = 'SPECML_QUEUE';
const MAX_URL_FILE_BYTES = 4096;

/**
 * The queue's address from --queue, --queue-file or $SPECML_QUEUE (in that order); undefined where none is
 * given. A password on the command line is readable by every user of the machine (ps, /proc/PID/cmdline),
 * so it draws a warning that says how to keep it out.
 */
export function queueAddress(source: QueueSource, env: NodeJS.ProcessEnv = process.env): RedisAddress | undefined {
  if (source.queue !== undefined && source.queueFile !== undefined) throw new UserError('--queue and --queue-file both give the queue: keep one');
  if (source.queue !== undefined) {
    const address = parseRedisAddress(source.queue, '--queue');
    if (address.options.password !== undefined) {
      process.stderr.write(`warning: --queue carries a password, which other users of this machine can read (ps, /proc/PID/cmdline); give the URL in $${QUEUE_ENV} or a file (--queue-file) instead\n`);
    }
    return address;
  }
  if (source.queueFile !== undefined) {
    let text: string;
    try {
      text = readRegularFile(source.queueFile, MAX_URL_FILE_BYTES);
    } catch (error) {
      throw new UserError(`--queue-file ${error instanceof UnreadableFileError ? `${error.path} ${error.reason}` : source.queueFile}: expected a file holding the queue's Redis URL on its first line`);
    }
    return parseRedisAddress(text.split(/\r?\n/)[0].trim(), `--queue-file ${source.queueFile}:`);
  }
  const fromEnv = env[QUEUE_ENV];
  return fromEnv ? parseRedisAddress(fromEnv.trim(), `$${QUEUE_ENV}`) : undefined;
}

function redacted(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href.replace(/\/$/, '');
}

/**
 * Connects to Redis, or says in one sentence why not (unreachable, refused password, TLS) within a few
 * seconds, as a UserError naming the URL without its password. Returns the connection BullMQ shares.
 */
export async function connectRedis(address: RedisAddress): Promise<Redis> {
  const probe = new Redis({ ...address.options, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, maxRetriesPerRequest: 0, disconnectTimeout: 50 });
  // The error event says why (ECONNREFUSED, a refused password); the rejected promise only that it closed.
  let cause: Error | undefined;
  probe.on('error', (error) => (cause ??= error));
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    throw new UserError(`${address.source} ${address.shown}: cannot use Redis there: ${reason(cause ?? (error as Error))}`);
  } finally {
    probe.disconnect();
  }
  const connection = new Redis(address.options);
  reportConnection(connection, address);
  return connection;
}

/**
 * Keeps a connection's errors from ever going unhandled, and tells a person once when Redis goes away and
 * once when it is back (ioredis reconnects by itself; each failed attempt is not news).
 */
export function reportConnection(connection: Redis, address: RedisAddress, silent = false): Redis {
  let down = false;
  connection.on('error', (error) => {
    if (down || silent) return;
    down = true;
    process.stderr.write(`warning: Redis at ${address.shown}: ${reason(error)}; reconnecting\n`);
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    process.stderr.write(`Redis at ${address.shown}: connected again\n`);
  });
  return connection;
}

function reason(error: Error & { code?: string }): string {
  const message = error.message ?? String(error);
  if (error.code === 'ECONNREFUSED') return 'nothing listens on that port (is redis-server running, and reachable from here?)';
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return 'no such host';
  if (/WRONGPASS|invalid username-password/i.test(message)) return 'Redis refused the password (check the password in the URL)';
  if (/NOAUTH/i.test(message)) return 'Redis needs a password (redis://:PASSWORD@host:port)';
  if (/ECONNRESET|socket hang up|wrong version number|EPROTO/i.test(message)) return `the connection was dropped (${message}; TLS on one side only? use rediss:// for a TLS port)`;
  if (/certificate/i.test(message)) return `${message} (a server certificate from a private CA is trusted with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
  return message;
}
