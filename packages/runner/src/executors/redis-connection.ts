import { Redis } from 'ioredis';
import { UserError } from '@specml/data';
import { CONNECT_TIMEOUT_MS, type RedisAddress } from './redis-address.js';

// Connections to a queue's Redis: the first one checked within seconds, every one reporting its troubles
// once. Apart from redis-address.ts, so that parsing an address loads no Redis client.

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
    await answerWithin(probe.connect().then(() => probe.ping()), CONNECT_TIMEOUT_MS);
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

/**
 * A Redis call's answer, or a rejection (`no answer within N s`) when none came within `ms`: a command sent
 * while Redis is away waits for it for ever (ioredis sends it again on reconnection).
 */
export async function answerWithin<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms).unref();
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}
