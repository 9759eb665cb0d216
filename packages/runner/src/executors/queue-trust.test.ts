import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME, redisKeys, SPECML_VERSION } from './queue-protocol.js';
import { REDIS_PASSWORD, redisInstalled, startRedis } from '../commands/local-redis.js';
import { specml, startServing, startSpecml, temporaryFolder, TINY_SPEC, waitFor } from '../test-kit/test-cli.js';

// Everything that comes out of Redis is untrusted: job ids, the summaries of folders received through it,
// and what a worker returns. None of it may name a path outside the worker's or the coordinator's folder.

const work = temporaryFolder('queue-trust');
const SPEC = TINY_SPEC('trusted');

describe.skipIf(!redisInstalled)('the queue trusts nothing it reads from Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let queue: Queue;
  const queueFile = join(work, 'queue-url');
  const connection = () => ({ host: '127.0.0.1', port: redis.port, password: REDIS_PASSWORD });
  const valid = (runId: string) => ({ version: SPECML_VERSION, specText: SPEC, specFile: 'trusted.yaml', overrides: [], awaitVerdicts: false, runId });

  beforeAll(async () => {
    mkdirSync(join(work, 'redis'));
    redis = await startRedis(join(work, 'redis'));
    writeFileSync(queueFile, `${redis.url}\n`);
    queue = new Queue(QUEUE_NAME, { connection: connection() });
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  it('refuses a job id or a checkpoint summary that would lead outside its work dir, and deletes nothing there', async () => {
    // The worker's runs dir is <work>/worker/runs: `../../victim` from its .incoming folder is <work>/worker/victim.
    const workerDir = join(work, 'worker');
    mkdirSync(join(workerDir, 'victim'), { recursive: true });
    writeFileSync(join(workerDir, 'victim', 'precious.txt'), 'keep me');
    writeFileSync(join(work, 'precious.txt'), 'keep me too');
    const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', workerDir], /waiting for trials/);
    try {
      // A checkpoint whose summary names the experiment "..": taken over, it would replace the work dir's parent.
      await redis.client.hset(redisKeys.checkpoint('hostile-name'), 'summary.json', JSON.stringify({ name: '..', runId: 'worker', status: 'interrupted', epochsCompleted: 1 }));
      const jobs = await Promise.all([
        queue.add('trial', valid('r1'), { jobId: '../../victim' }),
        queue.add('trial', valid('r2'), { jobId: 'hostile-name' }),
        queue.add('trial', valid('..'), { jobId: 'hostile-run-id' }),
      ]);
      expect(await waitFor(() => (worker.output().stdout.match(/: failed: refused by worker /g) ?? []).length >= 3)).toBe(true);
      const reasons = await Promise.all(jobs.map(async (job) => (await Job.fromId(queue, job.id!))!.failedReason));
      expect(reasons[0]).toMatch(/^refused by worker \S+: the job id "\.\.\/\.\.\/victim" is not a plain name \(letters, digits/);
      expect(reasons[1]).toMatch(/^refused by worker \S+: its checkpoint's experiment name "\.\." is not a plain name/);
      expect(reasons[2]).toMatch(/^refused by worker \S+: malformed job: runId must be a plain folder name$/);
      expect(readFileSync(join(workerDir, 'victim', 'precious.txt'), 'utf8')).toBe('keep me');
      expect(readFileSync(join(work, 'precious.txt'), 'utf8')).toBe('keep me too');
      expect(existsSync(join(workerDir, 'runs'))).toBe(true);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('refuses a result whose run id is not a plain name: the coordinator replaces no folder of its runs dir', async () => {
    const runsDir = join(work, 'coordinator', 'runs');
    mkdirSync(join(runsDir, 'trusted', 'earlier-run'), { recursive: true });
    writeFileSync(join(runsDir, 'trusted', 'earlier-run', 'summary.json'), '{}');
    writeFileSync(join(work, 'coordinator', 'precious.txt'), 'keep me');
    const spec = join(work, 'single.yaml');
    writeFileSync(spec, SPEC);
    // A rogue worker: it answers every job with runId "..", and a folder in Redis to go with it.
    const rogue = new Worker(
      QUEUE_NAME,
      async (job) => {
        await redis.client.hset(redisKeys.folder(job.id!), 'summary.json', JSON.stringify({ name: 'trusted', runId: '..', status: 'completed' }));
        return { status: 'completed', message: '', runId: '..', worker: 'rogue/1' };
      },
      { connection: connection() },
    );
    try {
      // In the background: the rogue worker runs in this process, which a synchronous spawn would block.
      const coordinator = startSpecml(['exp', spec, '--runs-dir', runsDir], { SPECML_QUEUE: redis.url });
      expect(await coordinator.exited).toBe(1);
      expect(coordinator.output().stderr).toMatch(/^internal error: the run failed on its worker: refused the result of job run-[0-9a-f]{16}: its result names run "\.\.", which is not a plain folder name\n$/);
    } finally {
      await rogue.close();
    }
    expect(readFileSync(join(work, 'coordinator', 'precious.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(runsDir, 'trusted', 'earlier-run', 'summary.json'), 'utf8')).toBe('{}');
  });

  it('takes the URL from $SPECML_QUEUE or a file, warns about a password on the command line, and never prints one', async () => {
    const worker = await startServing(['worker', '--queue', redis.url, '--work-dir', join(work, 'worker-argv')], /waiting for trials/);
    try {
      expect(worker.output().stderr).toBe('warning: --queue carries a password, which other users of this machine can read (ps, /proc/PID/cmdline); give the URL in $SPECML_QUEUE or a file (--queue-file) instead\n');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const slash = specml(['worker', '--queue', 'redis://:pass/s3cr3t@127.0.0.1:6379']);
    expect(slash).toMatchObject({ status: 2 });
    expect(slash.stderr).toMatch(/^error: --queue redis:\/\/\*\*\*@127\.0\.0\.1:6379: expected a Redis URL/);
    expect(slash.stderr).not.toContain('s3cr3t');
    const fromEnv = specml(['worker', '--work-dir', join(work, 'w')], { SPECML_QUEUE: 'redis://:pass/s3cr3t@127.0.0.1:1' });
    expect(fromEnv).toMatchObject({ status: 2 });
    expect(fromEnv.stderr).toMatch(/^error: \$SPECML_QUEUE redis:\/\/\*\*\*@127\.0\.0\.1:1: expected a Redis URL/);
    writeFileSync(join(work, 'bad-url'), 'redis://:hunter2@127.0.0.1:1\n');
    const fromFile = specml(['worker', '--queue-file', join(work, 'bad-url')]);
    expect(fromFile).toMatchObject({ status: 2, stderr: `error: --queue-file ${join(work, 'bad-url')}: redis://:***@127.0.0.1:1: cannot use Redis there: nothing listens on that port (is redis-server running, and reachable from here?)\n` });
    expect(specml(['worker', '--queue-file', join(work, 'no-such-file')])).toMatchObject({ status: 2, stderr: `error: --queue-file ${join(work, 'no-such-file')} does not exist: expected a file holding the queue's Redis URL on its first line\n` });
    expect(specml(['worker'])).toMatchObject({ status: 2, stderr: 'error: worker: give the queue with --queue-file <file>, $SPECML_QUEUE, or --queue <redis-url>\n' });
    expect(specml(['worker', '--queue-file', queueFile, '--concurrency', '100000'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^error: --concurrency 100000: this machine has \d+ cores, so at most \d+ trials at a time/) });
  });
});
