import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
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
export const CONNECT_TIMEOUT_MS = 4000;

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
