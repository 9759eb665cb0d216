import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';

// A throwaway redis-server for the queue tests and the queue bench: Debian's, on a free loopback port, no persistence, in a temp
// dir, stopped after the test file. Where it is not installed (outside CI), those tests skip.

export const redisInstalled = spawnSync('redis-server', ['--version']).status === 0;
// In CI (.ci/run sets SPECML_REQUIRE_REDIS) the queue tests must run, never skip.
if (!redisInstalled && process.env.SPECML_REQUIRE_REDIS) throw new Error('redis-server is not installed, and SPECML_REQUIRE_REDIS says the queue tests must run (apt-get install redis-server)');
if (!redisInstalled) console.warn('redis-server is not installed: the queue tests are skipped (apt-get install redis-server)');

export const REDIS_PASSWORD = 'secret-Pa55';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server with a password on a free 127.0.0.1 port, keeping its files in `dir`, and waits until
 * it answers. With `tls`, it listens for TLS only, with a self-signed certificate made here (`ca`).
 */
export async function startRedis(dir: string, { tls = false } = {}) {
  const port = await freePort();
  const ca = join(dir, 'cert.pem');
  if (tls) {
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', ca, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
  }
  const listen = tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', ca, '--tls-key-file', join(dir, 'key.pem'), '--tls-auth-clients', 'no'] : ['--port', String(port)];
  const launch = () => spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--requirepass', REDIS_PASSWORD, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  let server = launch();
  const url = `${tls ? 'rediss' : 'redis'}://:${REDIS_PASSWORD}@127.0.0.1:${port}`;
  const client = new Redis({ host: '127.0.0.1', port, password: REDIS_PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, tls: tls ? { ca: readFileSync(ca) } : undefined });
  client.on('error', () => {});
  const answers = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect();
        await client.ping();
        return;
      } catch (error) {
        if (attempt >= 100) throw new Error(`redis-server did not answer on port ${port}: ${(error as Error).message}`);
        client.disconnect();
        await new Promise((wake) => setTimeout(wake, 50));
      }
    }
  };
  const kill = async () => {
    server.kill('SIGKILL');
    await new Promise((done) => (server.exitCode === null && server.signalCode === null ? server.once('exit', done) : done(undefined)));
  };
  await answers();
  return {
    port,
    url,
    /** The certificate to trust (NODE_EXTRA_CA_CERTS), with tls. */
    ca,
    /** A client for the test itself. */
    client,
    async stop() {
      client.disconnect();
      server.kill('SIGCONT');
      await kill();
    },
    /** Freezes the server (SIGSTOP): connections stay open, nothing answers, and locks expire meanwhile. */
    pause: () => void server.kill('SIGSTOP'),
    resume: () => void server.kill('SIGCONT'),
    /** Kills the server outright; `start` brings up a new, empty one on the same port. */
    kill: async () => {
      client.disconnect();
      await kill();
    },
    async start() {
      server = launch();
      await answers();
    },
  };
}
