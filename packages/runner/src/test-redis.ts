import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

// A real redis-server for the queue tests: Debian's, on a free loopback port, no persistence, in a temp
// dir, stopped after the test file. Where it is not installed (outside CI), those tests skip.

export const redisInstalled = spawnSync('redis-server', ['--version']).status === 0;

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

/** Starts redis-server with a password on a free 127.0.0.1 port, keeping its files in `dir`, and waits until it answers. */
export async function startRedis(dir: string) {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--requirepass', REDIS_PASSWORD, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const url = `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`;
  const client = new Redis({ host: '127.0.0.1', port, password: REDIS_PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (attempt >= 100) throw new Error(`redis-server did not answer on port ${port}: ${(error as Error).message}`);
      client.disconnect();
      await new Promise((wake) => setTimeout(wake, 50));
    }
  }
  return {
    port,
    url,
    /** A client for the test itself. */
    client,
    async stop() {
      client.disconnect();
      server.kill('SIGKILL');
      await new Promise((done) => (server.exitCode === null ? server.once('exit', done) : done(undefined)));
    },
  };
}
